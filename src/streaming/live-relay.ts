/**
 * Snapshots of streamed replies from a separate worker process (`--role worker`) to the gateway
 * that owns the platform connection, through Redis pub/sub on one channel per queue prefix. A lost
 * snapshot costs only a live update (the next one, or the final delivery, shows the text); so
 * fire-and-forget, at most one PUBLISH per reply per update interval (live-outlet.ts).
 */
import type { Redis } from 'ioredis';
import type { LiveSnapshot } from '../core/live-reply.ts';
import type { Logger } from '../logger.ts';
import type { LiveHub } from './live-hub.ts';

export const liveChannel = (prefix: string): string => `${prefix}:live-snapshots`;

export function publishSnapshots(redis: Redis, prefix: string, logger: Logger) {
  const channel = liveChannel(prefix);
  return (snapshot: LiveSnapshot): void => {
    redis.publish(channel, JSON.stringify(snapshot)).catch((error: unknown) => {
      logger.debug({ err: error }, 'streamed reply snapshot not published');
    });
  };
}

/** Subscribes `subscriber` (a subscriber connection, which may serve other channels too). */
export async function relaySnapshots(
  subscriber: Redis,
  prefix: string,
  hub: LiveHub,
  logger: Logger,
): Promise<void> {
  const channel = liveChannel(prefix);
  subscriber.on('message', (from: string, raw: string) => {
    if (from !== channel) return;
    const snapshot = parseSnapshot(raw);
    if (snapshot) hub.push(snapshot);
    else logger.debug('streamed reply snapshot ignored: not a snapshot');
  });
  await subscriber.subscribe(channel);
}

function parseSnapshot(raw: string): LiveSnapshot | undefined {
  try {
    const value = JSON.parse(raw) as Partial<LiveSnapshot>;
    if (typeof value.key !== 'string' || typeof value.text !== 'string') return undefined;
    if (typeof value.firstTokenAt !== 'number' || typeof value.target !== 'object' || !value.target)
      return undefined;
    return value as LiveSnapshot;
  } catch {
    return undefined;
  }
}
