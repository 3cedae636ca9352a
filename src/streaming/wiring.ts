/**
 * Streaming in a pipeline, by role. Where adapters live (`all`, `gateway`) a hub shows streamed
 * replies and their deliveries finish into them; the reply job feeds it directly (`all`) or
 * through Redis pub/sub from a separate worker process (`worker` publishes, the gateway relays).
 */
import type { Redis } from 'ioredis';
import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import type { LiveMessages } from '../core/live-reply.ts';
import type { Platform, PlatformAdapter } from '../core/types.ts';
import type { Logger } from '../logger.ts';
import { createLiveHub, type LiveHub } from './live-hub.ts';
import { type LiveOpen, liveOutlet } from './live-outlet.ts';
import { publishSnapshots, relaySnapshots } from './live-relay.ts';
import { redisStartedRecords } from './started-records.ts';

export interface Streaming {
  /** Where this process shows streamed replies (delivery finishes into them). */
  hub: LiveHub | undefined;
  /** For the reply job: where its snapshots go. */
  open: LiveOpen | undefined;
  /** Relays a worker's snapshots to the hub, on the process's subscriber connection. */
  subscribe(subscriber: Redis): Promise<void>;
  close(): void;
}

export function wireStreaming(options: {
  role: 'gateway' | 'worker' | 'all';
  /** STREAM_REPLIES. */
  enabled: boolean;
  adapters: Partial<Record<Platform, PlatformAdapter>>;
  redis: Redis;
  prefix: string;
  bus: EventBus<AgentBridgeEvents>;
  logger: Logger;
}): Streaming {
  const { role, redis, prefix, bus, logger } = options;
  const live: Partial<Record<Platform, LiveMessages>> = {};
  for (const [platform, adapter] of Object.entries(options.adapters) as [Platform, PlatformAdapter][]) {
    if (adapter.live && options.enabled) live[platform] = adapter.live;
  }
  const hub =
    role !== 'worker' && Object.keys(live).length > 0
      ? createLiveHub({
          live,
          records: redisStartedRecords(redis, prefix),
          logger,
          onFirstVisible: (target, seconds) =>
            bus.emit('reply.first_visible', { platform: target.platform, seconds }),
        })
      : undefined;
  const open =
    role === 'worker' && options.enabled
      ? liveOutlet(publishSnapshots(redis, prefix, logger))
      : hub
        ? liveOutlet((snapshot) => hub.push(snapshot))
        : undefined;
  return {
    hub,
    open,
    async subscribe(subscriber) {
      if (!hub) return;
      await relaySnapshots(subscriber, prefix, hub, logger).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not subscribe to streamed replies from workers'),
      );
    },
    close: () => hub?.close(),
  };
}
