// Group commit at ingest, through the orchestrator on real SQLite and Redis: what the platform's
// acknowledgement waits for (the message stored, its reply job in Redis), what overload and a Redis
// outage do to it, and that nothing acknowledged or retried is answered twice.
import { type JobsOptions, Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { IngestOverloadedError } from '../../src/orchestrator/group-commit.ts';
import type { HotStore } from '../../src/store/hot/types.ts';
import { FAST_RECOVERY, inboundOf, repliesOf } from '../support/harness-queries.ts';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { drained } from '../support/queue-faults.ts';
import { type RedisProxy, startRedisProxy } from '../support/redis-proxy.ts';
import { type TestDatabase, useFreshTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

let h: Harness | undefined;
let proxy: RedisProxy | undefined;
const restore: Array<() => void> = [];

/** The hot store of the test database, with each insertInbound batch's size recorded. */
function countingInserts(database: TestDatabase): { store: HotStore; batches: number[] } {
  const batches: number[] = [];
  const { hot } = database;
  const store: HotStore = {
    ...hot,
    insertInbound(batch) {
      batches.push(batch.length);
      return hot.insertInbound(batch);
    },
  };
  return { store, batches };
}

/** Records `scheduled <job id>` once BullMQ has added a job (every queue of this test process). */
function recordScheduling(events: string[]): void {
  const original = Queue.prototype.addBulk;
  Queue.prototype.addBulk = async function (this: Queue, jobs) {
    const added = await original.call(this, jobs);
    for (const job of jobs) events.push(`scheduled ${(job.opts as JobsOptions | undefined)?.jobId}`);
    return added;
  } as typeof original;
  restore.push(() => {
    Queue.prototype.addBulk = original;
  });
}

/** One message answered first, so every lookup of the conversation is cached. */
async function warmUp(h: Harness) {
  await h.send('warm-up');
  await waitFor('the warm-up reply', () => h.adapter.replies().length === 1);
}

/** Every stored message was answered, each reply once, and each reply posted once. */
async function answeredOnce(h: Harness, agentId: string) {
  await waitFor('every message answered', async () =>
    (await inboundOf(h)).every((m) => m.answeredById !== null && m.pendingAgentId === null),
  );
  await drained(h.pipeline.queues.replies);
  await drained(h.pipeline.queues.deliveries);
  const replies = await repliesOf(h, agentId);
  const answering = new Set((await inboundOf(h)).map((m) => m.answeredById));
  expect(new Set(replies.map((r) => r.id))).toEqual(answering);
  expect(h.adapter.replies().map((r) => r.idempotencyKey)).toEqual(replies.map((r) => `reply-${r.id}`));
}

describe('group commit at ingest', () => {
  const t = useFreshTestDatabase('sqlite');
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await proxy?.close();
    proxy = undefined;
    for (const undo of restore.splice(0)) undo();
  });

  it('messages arriving while a write is in flight are stored in one write; each caller is answered once its job is in Redis', async () => {
    const { store, batches } = countingInserts(t.current);
    h = await startHarness({ db: t.current.db, hot: store }, FAST_RECOVERY);
    const aria = await h.createAgent('Aria');
    await warmUp(h);
    batches.length = 0;
    const events: string[] = [];
    recordScheduling(events);

    const harness = h;
    const outcomes = await Promise.all(
      ['one', 'two', 'three', 'four', 'five'].map(async (text) => {
        const outcome = await harness.send(text);
        if (outcome.status !== 'scheduled') throw new Error(`not scheduled: ${outcome.status}`);
        events.push(`answered ${outcome.jobId}`);
        return outcome;
      }),
    );
    // The first message of the tick is written at once; the four that arrived meanwhile, together.
    expect(batches).toEqual([1, 4]);
    for (const { jobId } of outcomes) {
      expect(events.indexOf(`scheduled ${jobId}`)).toBeGreaterThanOrEqual(0);
      expect(events.indexOf(`scheduled ${jobId}`)).toBeLessThan(events.indexOf(`answered ${jobId}`));
    }
    await answeredOnce(h, aria.id);
  });

  it('past MAX_INGEST_IN_FLIGHT a message is refused at once and not stored; the platform retry is taken', async () => {
    h = await startHarness(t.current, { ...FAST_RECOVERY, MAX_INGEST_IN_FLIGHT: '2' });
    const aria = await h.createAgent('Aria');
    await warmUp(h);

    const settled: string[] = [];
    const harness = h;
    const send = (id: string) =>
      harness.send(`message ${id}`, { platformMessageId: id }).then(
        (outcome) => {
          settled.push(`${id} ${outcome.status}`);
        },
        (error: unknown) => {
          settled.push(`${id} ${error instanceof IngestOverloadedError ? 'refused' : String(error)}`);
        },
      );
    await Promise.all([send('m1'), send('m2'), send('m3')]);
    expect(settled).toEqual(['m3 refused', 'm1 scheduled', 'm2 scheduled']);
    expect(await h.db.message.count({ where: { platformMessageId: 'm3' } })).toBe(0);
    expect(h.pipeline.commit.inFlight()).toBe(0);

    await send('m3');
    expect(settled.at(-1)).toBe('m3 scheduled');
    await answeredOnce(h, aria.id);
  });

  it('Redis down on the acknowledgement path: the caller is refused fast, and the retried event is answered once', async () => {
    proxy = await startRedisProxy();
    h = await startHarness(t.current, { ...FAST_RECOVERY, REDIS_URL: proxy.url });
    const aria = await h.createAgent('Aria');
    await warmUp(h);

    // BullMQ prints the connection errors of its queues to stderr: expected here.
    proxy.down();
    const started = Date.now();
    await expect(h.send('sent during the outage', { platformMessageId: 'm-outage' })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
    // Stored with its intent before Redis failed: the platform will retry the event.
    expect(await h.db.message.findFirstOrThrow({ where: { platformMessageId: 'm-outage' } })).toMatchObject({
      pendingAgentId: aria.id,
      answeredById: null,
    });

    proxy.up();
    expect(await h.send('sent during the outage', { platformMessageId: 'm-outage' })).toEqual({
      status: 'duplicate',
    });
    await waitFor('the reply to the retried event', () => h?.adapter.replies().length === 2, 15_000);
    await answeredOnce(h, aria.id);
    expect(h.gemini.requests).toHaveLength(2);
    expect(h.adapter.replies().at(-1)?.replyToPlatformMessageId).toBe('m-outage');
  });
});
