// Shutdown (SIGTERM: pipeline.close()) while a reply job runs, on real Redis and SQLite: close()
// keeps its time limit, and nothing is lost or answered twice once a process runs again.
import { afterEach, describe, expect, it } from 'vitest';
import { deferred } from '../support/deferred.ts';
import { FAST_RECOVERY, inboundOf, repliesOf, sweeperOf, typingActions } from '../support/harness-queries.ts';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { drained } from '../support/queue-faults.ts';
import { useFreshTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

describe('shutdown during a reply', () => {
  const t = useFreshTestDatabase('sqlite');
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a model call that outlasts the grace: close() returns on time, and after a restart the message is answered once', async () => {
    h = await startHarness(t.current, FAST_RECOVERY, { shutdownGraceMs: 200 });
    const aria = await h.createAgent('Aria');
    // The first call never answers while this process lives (LLM_TIMEOUT_MS is a minute).
    h.gemini.enqueue({ text: 'never sent', release: new Promise(() => {}) });
    h.gemini.setDefault({ text: 'answered after the restart' });
    await h.send('hello');
    await h.gemini.waitForRequests(1);

    // close() waits 200 ms for the running job, then leaves it to its lock, which expires so that
    // the next worker runs it again.
    const closing = Date.now();
    const restarted = await h.restart({ shutdownGraceMs: 2000 });
    expect(Date.now() - closing).toBeLessThan(5000);
    const harness = h;
    await waitFor('the reply after the restart', () => harness.adapter.replies().length === 1, 15_000);
    await drained(restarted.queues.replies);
    expect(h.adapter.replies().map((r) => r.text)).toEqual(['answered after the restart']);
    const replies = await repliesOf(h, aria.id);
    expect(replies.map((r) => r.content)).toEqual(['answered after the restart']);
    expect((await inboundOf(h))[0]).toMatchObject({ pendingAgentId: null, answeredById: replies[0]?.id });
    expect(h.gemini.requests).toHaveLength(2);
  });

  it('a model call that ends within the grace: the reply is stored and posted before close() returns, and never run again', async () => {
    h = await startHarness(t.current, FAST_RECOVERY, { shutdownGraceMs: 10_000, sweeper: true });
    const aria = await h.createAgent('Aria');
    const model = deferred();
    h.gemini.enqueue({ text: 'finished while closing', release: model.promise });
    await h.send('hello');
    await h.gemini.waitForRequests(1);

    const restarting = h.restart();
    model.resolve();
    const restarted = await restarting;
    expect(h.adapter.replies().map((r) => r.text)).toEqual(['finished while closing']);
    expect(typingActions(h)).toEqual(['start', 'stop']);
    const replies = await repliesOf(h, aria.id);
    expect(replies).toMatchObject([{ content: 'finished while closing', deliveredAt: expect.any(Date) }]);

    await drained(restarted.queues.replies);
    expect(await sweeperOf(restarted).sweep()).toMatchObject({ requeuedIntents: 0, requeuedDeliveries: 0 });
    expect(h.gemini.requests).toHaveLength(1);
    expect(h.adapter.replies()).toHaveLength(1);
  });
});
