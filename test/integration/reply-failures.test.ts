// The reply path when the agent, the platform or the process fails, on the real processors, real
// Redis and SQLite: what the user sees (one post or none; the typing signal cleared), how many model
// calls it cost, and what the store holds. Each test has its own database, since every harness's
// sweeper looks at all of it.
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryJobId } from '../../src/jobs/ids.ts';
import { DELIVERY_ATTEMPTS } from '../../src/jobs/schedule.ts';
import { MAX_DELIVERY_REQUEUES } from '../../src/jobs/sweeper.ts';
import { deleteAgent, setAgentPaused } from '../../src/store/agents.ts';
import { FAST_RECOVERY, inboundOf, repliesOf, sweeperOf, typingActions } from '../support/harness-queries.ts';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { drained, exhaustRetries } from '../support/queue-faults.ts';
import { type TestDatabase, useFreshTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

let h: Harness | undefined;

async function harness(
  database: TestDatabase,
  env: Record<string, string> = {},
  options: Parameters<typeof startHarness>[2] = {},
) {
  // A database of its own per test: the sweeper can run.
  h = await startHarness(database, { ...FAST_RECOVERY, ...env }, { sweeper: true, ...options });
  return h;
}

describe('reply path failures', () => {
  const t = useFreshTestDatabase('sqlite');
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('the platform posts but its answer is lost: the retry finds the post, nothing is posted twice, one model call', async () => {
    const h = await harness(t.current);
    const aria = await h.createAgent('Aria');
    h.gemini.enqueue({ text: 'posted once' });
    h.adapter.loseNextAnswers = 1;
    await h.send('hello');

    await waitFor(
      'the reply recorded as delivered',
      async () => (await repliesOf(h, aria.id))[0]?.deliveredAt,
    );
    expect(h.adapter.failedDeliveries).toBe(1);
    expect(h.adapter.replies().map((r) => r.text)).toEqual(['posted once']);
    expect(h.gemini.requests).toHaveLength(1);
    const [reply] = await repliesOf(h, aria.id);
    expect(reply).toMatchObject({ platformMessageId: 'posted-1', postedParts: '["posted-1"]' });
    await waitFor('typing cleared', () => typingActions(h).includes('stop'));
  });

  it('the process dies after storing the reply, before posting it: after a restart it is posted once, with no second model call', async () => {
    // Closing after 1 ms abandons the running job where it is, as a crash would.
    const h = await harness(t.current, {}, { shutdownGraceMs: 1 });
    const aria = await h.createAgent('Aria');
    h.gemini.enqueue({ text: 'stored before the crash' });
    h.adapter.hangNextDeliveries = 1;
    await h.send('hello');
    await waitFor('the reply stored and its post under way', () => h.adapter.hungDeliveries === 1);
    expect(await repliesOf(h, aria.id)).toHaveLength(1);

    const restarted = await h.restart({ shutdownGraceMs: 2000 });
    // The new worker takes the abandoned job over (nothing left to answer); the sweeper then finds
    // the reply that was never delivered.
    await waitFor(
      'the stored reply posted after the restart',
      async () => {
        await sweeperOf(restarted).sweep();
        return h.adapter.replies().length === 1;
      },
      15_000,
    );
    expect(h.adapter.replies().map((r) => r.text)).toEqual(['stored before the crash']);
    expect(h.gemini.requests).toHaveLength(1);
    // The part is recorded right after the platform answered the post.
    await waitFor(
      'the reply recorded as delivered',
      async () => (await repliesOf(h, aria.id))[0]?.deliveredAt,
    );
    const replies = await repliesOf(h, aria.id);
    expect(replies).toHaveLength(1);
    const [message] = await inboundOf(h);
    expect(message).toMatchObject({ pendingAgentId: null, answeredById: replies[0]?.id });
    // A later sweep has nothing left to do.
    await drained(restarted.queues.deliveries);
    expect(await sweeperOf(restarted).sweep()).toEqual({
      requeuedIntents: 0,
      gaveUp: 0,
      requeuedDeliveries: 0,
    });
    expect(h.adapter.replies()).toHaveLength(1);
  });

  it('an agent paused while its reply waits: no model call, no reply, the intent released, the typing signal cleared', async () => {
    // A gateway takes the message; the worker only starts after the pause (so no timing is involved).
    const h = await harness(t.current, {}, { role: 'gateway' });
    const aria = await h.createAgent('Aria');
    const outcome = await h.send('hello');
    expect(outcome).toMatchObject({ status: 'scheduled', agentId: aria.id });
    expect(typingActions(h)).toEqual(['start']);
    await setAgentPaused(h.db, aria.id, true, { label: 'test' });

    h.addPipeline({ role: 'worker', sweeper: false });
    // The worker hands the cancellation to the gateway, which holds the typing signal.
    await waitFor('typing cleared', () => typingActions(h).includes('stop'));
    expect(typingActions(h)).toEqual(['start', 'stop']);
    await drained(h.pipeline.queues.replies);
    expect(h.gemini.requests).toHaveLength(0);
    expect(h.adapter.delivered).toHaveLength(0);
    expect(await repliesOf(h, aria.id)).toHaveLength(0);
    const [message] = await inboundOf(h);
    expect(message).toMatchObject({ pendingAgentId: null, answeredById: null });
    // Released: the sweeper has no intent to chase.
    expect(await h.store.openIntents(new Date(Date.now() + 60_000), 10)).toEqual([]);
  });

  it('an agent deleted while its reply waits (one process): no model call, no reply, the intent released, the typing signal cleared', async () => {
    const h = await harness(t.current);
    const aria = await h.createAgent('Aria');
    // Held in Redis until the deletion is done and announced.
    await h.pipeline.queues.replies.pause();
    await h.send('hello');
    await deleteAgent(h.db, aria.id, { label: 'test' });
    await h.pipeline.announceDirectoryChange();
    await h.pipeline.queues.replies.resume();

    await waitFor('typing cleared', () => typingActions(h).includes('stop'));
    await drained(h.pipeline.queues.replies);
    expect(h.gemini.requests).toHaveLength(0);
    expect(h.adapter.delivered).toHaveLength(0);
    expect(await repliesOf(h, aria.id)).toHaveLength(0);
    expect((await inboundOf(h))[0]).toMatchObject({ pendingAgentId: null, answeredById: null });
  });

  it('a message with no text to answer (a bare file): no model call, the intent released, the typing signal cleared', async () => {
    const h = await harness(t.current);
    const aria = await h.createAgent('Aria');
    await h.send('');
    await waitFor('typing cleared', () => typingActions(h).includes('stop'));
    await drained(h.pipeline.queues.replies);
    expect(h.gemini.requests).toHaveLength(0);
    expect(await repliesOf(h, aria.id)).toHaveLength(0);
    expect((await inboundOf(h))[0]).toMatchObject({ pendingAgentId: null, answeredById: null });
  });

  it('delivery failing on every attempt: the sweeper re-enqueues it, and it is posted once when the platform recovers', async () => {
    const h = await harness(t.current);
    const aria = await h.createAgent('Aria');
    h.gemini.enqueue({ text: 'after the outage' });
    h.adapter.failNextDeliveries = Number.POSITIVE_INFINITY;
    await h.send('hello');
    const [stored] = await waitFor('the reply stored', () =>
      repliesOf(h, aria.id).then((r) => (r.length > 0 ? r : undefined)),
    );
    const replyId = stored?.id as number;
    const deliveries = h.pipeline.queues.deliveries;
    const deliveryJob = deliveryJobId(replyId);

    // While the delivery job is alive (waiting out its backoff), the sweeper leaves it alone.
    await waitFor(
      'the delivery job backing off',
      async () => (await deliveries.getJobState(deliveryJob)) === 'delayed',
    );
    expect((await sweeperOf(h.pipeline).sweep()).requeuedDeliveries).toBe(0);

    await exhaustRetries(deliveries, deliveryJob);
    // The inline attempt, then every attempt of the delivery job.
    expect(h.adapter.failedDeliveries).toBe(1 + DELIVERY_ATTEMPTS);
    expect(h.adapter.delivered).toHaveLength(0);

    h.adapter.failNextDeliveries = 0;
    await waitFor('the sweeper re-enqueues the delivery', async () => {
      const report = await sweeperOf(h.pipeline).sweep();
      return report.requeuedDeliveries === 1;
    });
    await waitFor('the reply posted', () => h.adapter.replies().length === 1);
    await drained(deliveries);
    expect(h.adapter.replies().map((r) => r.text)).toEqual(['after the outage']);
    expect(h.gemini.requests).toHaveLength(1);
    expect((await repliesOf(h, aria.id))[0]?.deliveredAt).not.toBeNull();
    await waitFor('typing cleared', () => typingActions(h).includes('stop'));
    expect((await sweeperOf(h.pipeline).sweep()).requeuedDeliveries).toBe(0);
    expect(h.adapter.replies()).toHaveLength(1);
  });

  it(`a platform that never recovers: the sweeper re-enqueues the delivery ${MAX_DELIVERY_REQUEUES} times, then stops`, async () => {
    const h = await harness(t.current);
    const aria = await h.createAgent('Aria');
    h.adapter.failNextDeliveries = Number.POSITIVE_INFINITY;
    await h.send('hello');
    const [stored] = await waitFor('the reply stored', () =>
      repliesOf(h, aria.id).then((r) => (r.length > 0 ? r : undefined)),
    );
    const replyId = stored?.id as number;
    const deliveries = h.pipeline.queues.deliveries;
    await exhaustRetries(deliveries, deliveryJobId(replyId));

    for (let round = 1; round <= MAX_DELIVERY_REQUEUES; round++) {
      await waitFor(
        `re-enqueue ${round}`,
        async () => (await sweeperOf(h.pipeline).sweep()).requeuedDeliveries === 1,
      );
      // The sweeper adds the reply's one delivery job again, in place of the failed one.
      await exhaustRetries(deliveries, deliveryJobId(replyId));
    }
    expect(await sweeperOf(h.pipeline).sweep()).toMatchObject({ requeuedDeliveries: 0 });
    expect(await h.pipeline.redis.get(`${h.pipeline.keys.sweeperCounts}:delivery:${replyId}`)).toBe(
      String(MAX_DELIVERY_REQUEUES),
    );
    expect(h.adapter.failedDeliveries).toBe(1 + DELIVERY_ATTEMPTS * (1 + MAX_DELIVERY_REQUEUES));
    expect(h.adapter.delivered).toHaveLength(0);
    expect(h.gemini.requests).toHaveLength(1);
    expect((await repliesOf(h, aria.id))[0]?.deliveredAt).toBeNull();
  });
});
