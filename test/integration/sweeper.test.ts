// The sweeper on real Redis and a real database: whatever Redis lost or whoever died, every intent
// is answered and every stored reply delivered, once; live work is left alone; passes do not
// overlap across processes. Passes are run by hand (pipeline.sweeper.sweep()) except in the test
// of the timer. Each test has its own database: a sweeper looks at all of it.
import { afterEach, describe, expect, it } from 'vitest';
import { replyDebounceKey } from '../../src/jobs/ids.ts';
import { MAX_INTENT_REQUEUES } from '../../src/jobs/sweeper.ts';
import type { Pipeline } from '../../src/pipeline.ts';
import { deferred } from '../support/deferred.ts';
import { FAST_RECOVERY, inboundOf, repliesOf, sweeperOf, typingActions } from '../support/harness-queries.ts';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { drained, loseReplyJob } from '../support/queue-faults.ts';
import { providers, type TestDatabase, useFreshTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const FAILURE = 'Sorry, the agent could not answer.';
const NOTHING = { requeuedIntents: 0, gaveUp: 0, requeuedDeliveries: 0 };

let h: Harness | undefined;

async function harness(
  database: TestDatabase,
  options: Parameters<typeof startHarness>[2] = {},
  env: Record<string, string> = {},
) {
  // A database of its own per test: the sweeper can run.
  h = await startHarness(
    database,
    { ...FAST_RECOVERY, FAILURE_MESSAGE: FAILURE, ...env },
    { sweeper: true, ...options },
  );
  return h;
}

/** Sweeps until a pass reports `field` (the intent or reply must first outlive the grace period). */
async function sweepUntil(pipeline: Pipeline, field: 'requeuedIntents' | 'gaveUp' | 'requeuedDeliveries') {
  return waitFor(`a sweep that reports ${field}`, async () => {
    const report = await sweeperOf(pipeline).sweep();
    return report[field] > 0 ? report : undefined;
  });
}

/** A message to the agent, and the conversation it landed in. */
async function ask(h: Harness, text: string) {
  const outcome = await h.send(text);
  if (outcome.status !== 'scheduled') throw new Error(`not scheduled: ${outcome.status}`);
  const message = await h.db.message.findUniqueOrThrow({ where: { id: outcome.messageId } });
  return { ...outcome, conversationId: message.conversationId };
}

describe('sweeper', () => {
  const t = useFreshTestDatabase('sqlite');
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('an intent whose reply job Redis lost is re-enqueued and answered once', async () => {
    // A gateway alone: the job waits in Redis until a worker starts.
    const h = await harness(t.current, { role: 'gateway' });
    const aria = await h.createAgent('Aria');
    const asked = await ask(h, 'hello');
    const lost = await loseReplyJob(h.pipeline, asked.conversationId, aria.id);
    expect(lost).toBe(asked.jobId);

    expect(await sweepUntil(h.pipeline, 'requeuedIntents')).toEqual({ ...NOTHING, requeuedIntents: 1 });
    const queue = h.pipeline.queues.replies;
    expect(await queue.getDeduplicationJobId(replyDebounceKey(asked.conversationId, aria.id))).toBe(
      `${lost}.s1`,
    );

    h.addPipeline({ role: 'worker', sweeper: false });
    await waitFor('the reply', () => h.adapter.replies().length === 1);
    await drained(queue);
    expect(h.gemini.requests).toHaveLength(1);
    const replies = await repliesOf(h, aria.id);
    expect(replies).toHaveLength(1);
    expect((await inboundOf(h))[0]).toMatchObject({ pendingAgentId: null, answeredById: replies[0]?.id });
    await waitFor('typing cleared', () => typingActions(h).includes('stop'));
    expect(await sweeperOf(h.pipeline).sweep()).toEqual(NOTHING);
  });

  it('a reply stored but never handed to delivery is posted once, with no second model call', async () => {
    const h = await harness(t.current);
    const aria = await h.createAgent('Aria');
    h.gemini.enqueue({ text: 'found by the sweeper' });
    // The inline post fails, and so does handing the reply to the deliveries queue.
    h.adapter.failNextDeliveries = 1;
    const deliveries = h.pipeline.queues.deliveries;
    const add = deliveries.add.bind(deliveries);
    let refusals = 1;
    deliveries.add = ((...args: Parameters<typeof add>) => {
      if (refusals-- > 0) return Promise.reject(new Error('Redis refused the write'));
      return add(...args);
    }) as typeof deliveries.add;
    await h.send('hello');
    await waitFor('the reply job done', () =>
      h.db.job.findFirst({ where: { agentId: aria.id, status: 'completed' } }),
    );
    expect(h.adapter.delivered).toHaveLength(0);
    expect(typingActions(h)).toEqual(['start']);

    expect(await sweepUntil(h.pipeline, 'requeuedDeliveries')).toEqual({
      ...NOTHING,
      requeuedDeliveries: 1,
    });
    await waitFor('the reply posted', () => h.adapter.replies().length === 1);
    await drained(deliveries);
    expect(h.adapter.replies().map((r) => r.text)).toEqual(['found by the sweeper']);
    expect(h.gemini.requests).toHaveLength(1);
    expect((await repliesOf(h, aria.id))[0]?.deliveredAt).not.toBeNull();
    expect(typingActions(h)).toEqual(['start', 'stop']);
    expect(await sweeperOf(h.pipeline).sweep()).toEqual(NOTHING);
  });

  it('leaves live work alone: a job still waiting in Redis, and one running, however old', async () => {
    const h = await harness(t.current, { role: 'gateway' });
    const aria = await h.createAgent('Aria');
    await ask(h, 'hello');
    const grace = h.config.debounceMs + h.config.jobLockMs;
    await waitFor('the intent older than the grace period', async () => {
      const open = await h.store.openIntents(new Date(Date.now() - grace), 10);
      return open.length === 1;
    });
    expect(await sweeperOf(h.pipeline).sweep()).toEqual(NOTHING);

    const model = deferred();
    h.gemini.enqueue({ text: 'worth the wait', release: model.promise });
    h.addPipeline({ role: 'worker', sweeper: false });
    await h.gemini.waitForRequests(1);
    expect(await h.pipeline.queues.replies.getJobCounts('active')).toEqual({ active: 1 });
    expect(await sweeperOf(h.pipeline).sweep()).toEqual(NOTHING);

    model.resolve();
    await waitFor('the reply', () => h.adapter.replies().length === 1);
    await drained(h.pipeline.queues.replies);
    expect(h.gemini.requests).toHaveLength(1);
    expect(await repliesOf(h, aria.id)).toHaveLength(1);
  });

  it('one pass at a time: two processes sweeping at once re-enqueue a lost job once', async () => {
    const h = await harness(t.current, { role: 'gateway' });
    const other = h.addPipeline({ role: 'gateway' });
    const aria = await h.createAgent('Aria');
    const asked = await ask(h, 'hello');
    await loseReplyJob(h.pipeline, asked.conversationId, aria.id);

    // While another process holds the lock, a pass does nothing (and leaves that lock alone).
    const { redis, keys } = h.pipeline;
    await redis.set(keys.sweeperLock, 'another-process', 'PX', 10_000);
    expect(await sweeperOf(other).sweep()).toEqual({ skipped: 'another process is sweeping', ...NOTHING });
    expect(await redis.get(keys.sweeperLock)).toBe('another-process');
    await redis.del(keys.sweeperLock);

    let requeued = 0;
    await waitFor('a pass that re-enqueues', async () => {
      const reports = await Promise.all([sweeperOf(h.pipeline).sweep(), sweeperOf(other).sweep()]);
      requeued += reports.reduce((sum, r) => sum + r.requeuedIntents, 0);
      return requeued > 0;
    });
    const again = await Promise.all([sweeperOf(h.pipeline).sweep(), sweeperOf(other).sweep()]);
    requeued += again.reduce((sum, r) => sum + r.requeuedIntents, 0);
    expect(requeued).toBe(1);
    const strikes = `${keys.sweeperCounts}:intent:${asked.conversationId}:${aria.id}:${asked.messageId}`;
    expect(await redis.get(strikes)).toBe('1');
    expect(await h.pipeline.queues.replies.getJobCounts('delayed', 'waiting')).toEqual({
      delayed: 1,
      waiting: 0,
    });

    h.addPipeline({ role: 'worker', sweeper: false });
    await waitFor('the reply', () => h.adapter.replies().length === 1);
    await drained(h.pipeline.queues.replies);
    await drained(h.pipeline.queues.deliveries);
    expect(h.adapter.replies()).toHaveLength(1);
    expect(h.gemini.requests).toHaveLength(1);
  });

  it('runs by itself every SWEEP_INTERVAL_MS', async () => {
    const h = await harness(t.current, { role: 'gateway' }, { SWEEP_INTERVAL_MS: '200' });
    const aria = await h.createAgent('Aria');
    const asked = await ask(h, 'hello');
    await loseReplyJob(h.pipeline, asked.conversationId, aria.id);
    h.addPipeline({ role: 'worker', sweeper: false });
    await waitFor('the reply, once a timed pass re-enqueued the job', () => h.adapter.replies().length === 1);
    expect(h.gemini.requests).toHaveLength(1);
  });
});

for (const provider of providers) {
  describe(`sweeper giving up (${provider})`, () => {
    const t = useFreshTestDatabase(provider);
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it(`after ${MAX_INTENT_REQUEUES} lost jobs for one message the user gets FAILURE_MESSAGE, once`, async () => {
      const h = await harness(t.current, { role: 'gateway' });
      const aria = await h.createAgent('Aria');
      const asked = await ask(h, 'hello');
      for (let strike = 1; strike <= MAX_INTENT_REQUEUES; strike++) {
        await loseReplyJob(h.pipeline, asked.conversationId, aria.id);
        expect((await sweepUntil(h.pipeline, 'requeuedIntents')).requeuedIntents).toBe(1);
      }
      await loseReplyJob(h.pipeline, asked.conversationId, aria.id);
      expect(await sweepUntil(h.pipeline, 'gaveUp')).toEqual({ ...NOTHING, gaveUp: 1 });

      await waitFor('the failure message', () => h.adapter.replies().length === 1);
      await drained(h.pipeline.queues.deliveries);
      expect(h.adapter.replies().map((r) => r.text)).toEqual([FAILURE]);
      expect(h.gemini.requests).toHaveLength(0);
      const [notice] = await repliesOf(h, aria.id);
      expect(notice).toMatchObject({ content: FAILURE, deliveredAt: expect.any(Date) });
      expect((await inboundOf(h))[0]).toMatchObject({ pendingAgentId: null, answeredById: notice?.id });
      const job = await h.db.job.findFirstOrThrow({ where: { replyMessageId: notice?.id } });
      expect(job).toMatchObject({ status: 'failed', error: 'the reply job was lost repeatedly' });
      expect(typingActions(h)).toEqual(['start', 'stop']);
      expect(await sweeperOf(h.pipeline).sweep()).toEqual(NOTHING);
      expect(h.adapter.replies()).toHaveLength(1);
    });
  });
}
