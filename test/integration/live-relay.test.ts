// A separate worker process's streamed reply reaches the gateway that owns the platform connection
// through Redis: the worker's outlet publishes, the gateway's hub shows it, the delivery finishes
// into the one message it started, and a snapshot arriving after that opens nothing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveMessages, LiveTarget } from '../../src/core/live-reply.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { createLiveHub } from '../../src/streaming/live-hub.ts';
import { liveOutlet } from '../../src/streaming/live-outlet.ts';
import { publishSnapshots, relaySnapshots } from '../../src/streaming/live-relay.ts';
import { redisStartedRecords } from '../../src/streaming/started-records.ts';
import { testLogger } from '../support/test-log.ts';
import { waitFor } from '../support/wait-for.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TARGET: LiveTarget = {
  platform: 'slack',
  channelId: 'D1',
  isDirect: true,
  workspaceExternalId: 'T1',
  agent: { id: 'a1', name: 'Aria', avatarUrl: null },
};

describe('streamed replies from a separate worker', () => {
  const prefix = `abrelay_${randomBytes(4).toString('hex')}`;
  const worker = createRedis(REDIS_URL);
  const gateway = createRedis(REDIS_URL);
  const subscriber = createRedis(REDIS_URL);
  const shown: string[] = [];
  const live: LiveMessages = {
    async start(_target, text) {
      shown.push(`post ${text}`);
      return { platform: 'slack', channelId: 'D1', messageId: `M${shown.length}`, mode: 'edit' };
    },
    async update(message, text) {
      shown.push(`edit ${message.messageId} ${text}`);
      return message;
    },
    close: async (message) => message,
  };
  const hub = createLiveHub({
    live: { slack: live },
    records: redisStartedRecords(gateway, prefix),
    logger: testLogger(),
    intervalMs: 50,
  });

  beforeAll(async () => {
    await relaySnapshots(subscriber, prefix, hub, testLogger());
  });
  afterAll(async () => {
    hub.close();
    const keys = await gateway.keys(`${prefix}:*`);
    if (keys.length > 0) await gateway.del(...keys);
    for (const connection of [worker, gateway, subscriber]) connection.disconnect();
  });

  it('shows the reply in one message, which its delivery finishes into, and records it for a rerun', async () => {
    const open = liveOutlet(publishSnapshots(worker, prefix, testLogger()), 50);
    const feed = open('conv:agent:7', TARGET, (raw) => raw);
    feed.push('Hello');
    feed.push('Hello there ');
    await waitFor('the first words shown', () => shown.length > 0);
    feed.push('Hello there, how are you ');
    await waitFor('the latest text shown', () => shown.some((s) => s.endsWith('how are you')));
    feed.end();
    const started = await hub.finish('conv:agent:7', 'slack');
    expect(started).toMatchObject({ messageId: 'M1' });
    expect(shown.filter((s) => s.startsWith('post'))).toEqual(['post Hello there']);
    expect(await redisStartedRecords(gateway, prefix).get('conv:agent:7')).toMatchObject({ messageId: 'M1' });

    // A snapshot that arrives after the delivery finished opens no second message.
    const late = open('conv:agent:7', TARGET, (raw) => raw);
    late.push('Hello there, late ');
    const marker = open('conv:agent:8', TARGET, (raw) => raw);
    marker.push('marker text ');
    await waitFor('a later reply shown', () => shown.some((s) => s.includes('marker')));
    expect(shown.filter((s) => s.startsWith('post'))).toEqual(['post Hello there', 'post marker text']);
  });
});
