// Work that overlaps, on the real reply processor, Redis and a real database: a message arriving
// during a model call, and two runs of the same job at once (a stalled job re-run while its first
// run still works). Exactly once: each message is answered by one reply, which answers what its
// model call saw; the user sees one post per reply.
import { afterEach, describe, expect, it } from 'vitest';
import { deferred } from '../support/deferred.ts';
import { FAST_RECOVERY, inboundOf, repliesOf, typingActions } from '../support/harness-queries.ts';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { drained } from '../support/queue-faults.ts';
import { replyRunner } from '../support/reply-runner.ts';
import { providers, type TestDatabase, useFreshTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

let h: Harness | undefined;

async function harness(database: TestDatabase, options: Parameters<typeof startHarness>[2] = {}) {
  h = await startHarness(database, FAST_RECOVERY, options);
  return h;
}

describe('a message arriving during a model call', () => {
  const t = useFreshTestDatabase('sqlite');
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a message arriving while the model call runs: that reply answers what the call saw, the new message gets its own', async () => {
    const h = await harness(t.current);
    const aria = await h.createAgent('Aria');
    const firstCall = deferred();
    h.gemini.enqueue({ text: 'answer to the first', release: firstCall.promise });
    h.gemini.setDefault({ text: 'answer to the second' });
    await h.send('first question');
    await h.gemini.waitForRequests(1);
    expect(await h.send('second question')).toMatchObject({ status: 'scheduled' });
    firstCall.resolve();

    await waitFor('two replies', () => h.adapter.replies().length === 2);
    await drained(h.pipeline.queues.replies);
    expect(h.adapter.replies().map((r) => r.text)).toEqual(['answer to the first', 'answer to the second']);
    // The second message's job waited for the running one (keepLastIfActive), then saw the first
    // answer in its place, before the second question.
    const texts = (i: number) => h.gemini.requests[i]?.body.contents.map((c) => c.parts[0]?.text);
    expect(h.gemini.requests).toHaveLength(2);
    expect(texts(0)).toEqual(['first question']);
    expect(texts(1)).toEqual(['first question', 'answer to the first', 'second question']);
    await waitFor('typing cleared', () => typingActions(h).at(-1) === 'stop');
    const [first, second] = await inboundOf(h);
    const [r1, r2] = await repliesOf(h, aria.id);
    expect(first).toMatchObject({ answeredById: r1?.id, pendingAgentId: null });
    expect(second).toMatchObject({ answeredById: r2?.id, pendingAgentId: null });
    // Each reply records the highest message id its call saw: the second call saw the first reply,
    // stored after the second question.
    expect(r1).toMatchObject({ afterReplyId: 0, answersThrough: first?.id });
    expect(r2).toMatchObject({ afterReplyId: r1?.id, answersThrough: r1?.id });
  });
});

for (const provider of providers) {
  describe(`two runs of the same reply job (${provider})`, () => {
    const t = useFreshTestDatabase(provider);
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('run at once: one reply stored, both runs end cleanly, the user sees one post', async () => {
      const h = await harness(t.current, { role: 'gateway' });
      const aria = await h.createAgent('Aria');
      const runner = replyRunner(h);
      const completed: number[] = [];
      runner.bus.on('job.completed', (e) => {
        completed.push(e.replyMessageId);
      });
      const models = deferred();
      h.gemini.enqueue(
        { text: 'from one run', release: models.promise },
        { text: 'from the other run', release: models.promise },
      );
      const outcome = await h.send('hello');
      if (outcome.status !== 'scheduled') throw new Error(`not scheduled: ${outcome.status}`);
      const job = await runner.job(outcome.jobId);

      const runs = Promise.all([runner.process(job), runner.process(job)]);
      await h.gemini.waitForRequests(2);
      models.resolve();
      const outcomes = await runs;

      const replies = await repliesOf(h, aria.id);
      expect(replies).toHaveLength(1);
      const replyId = replies[0]?.id;
      expect(outcomes).toEqual(
        expect.arrayContaining([{ replyMessageId: replyId }, { skipped: 'answered_elsewhere' }]),
      );
      expect(completed).toEqual([replyId]);
      await waitFor('the reply posted', () => h.adapter.replies().length === 1);
      await drained(h.pipeline.queues.deliveries);
      expect(h.adapter.replies().map((r) => r.text)).toEqual([replies[0]?.content]);
      expect((await inboundOf(h))[0]).toMatchObject({ pendingAgentId: null, answeredById: replyId });
      expect(typingActions(h)).toContain('stop');
      const jobs = await h.db.job.findMany({ where: { agentId: aria.id } });
      expect(jobs).toMatchObject([{ status: 'completed', replyMessageId: replyId }]);
    });

    it('the run that loses reads again and answers only what is still waiting', async () => {
      const h = await harness(t.current, { role: 'gateway' });
      const aria = await h.createAgent('Aria');
      const runner = replyRunner(h);
      const firstCall = deferred();
      const secondCall = deferred();
      h.gemini.enqueue(
        { text: 'answer to the first', release: firstCall.promise },
        { text: 'lost: saw both', release: secondCall.promise },
        { text: 'answer to the second' },
      );
      const outcome = await h.send('first question');
      if (outcome.status !== 'scheduled') throw new Error(`not scheduled: ${outcome.status}`);
      const job = await runner.job(outcome.jobId);

      // Run A calls the model with the first message only.
      const runA = runner.process(job);
      await h.gemini.waitForRequests(1);
      const second = await h.send('second question');
      // Run B of the same job sees both messages.
      const runB = runner.process(job);
      await h.gemini.waitForRequests(2);
      firstCall.resolve();
      const [m1, m2] = await inboundOf(h);
      const a = await runA;
      secondCall.resolve();
      const b = await runB;

      const [r1, r2] = await repliesOf(h, aria.id);
      expect(a).toEqual({ replyMessageId: r1?.id });
      expect(b).toEqual({ replyMessageId: r2?.id });
      expect(h.gemini.requests).toHaveLength(3);
      expect(h.gemini.requests[2]?.body.contents.map((c) => c.parts[0]?.text)).toEqual([
        'first question',
        'answer to the first',
        'second question',
      ]);
      expect(r1).toMatchObject({ content: 'answer to the first', afterReplyId: 0, answersThrough: m1?.id });
      expect(r2).toMatchObject({
        content: 'answer to the second',
        afterReplyId: r1?.id,
        answersThrough: r1?.id,
      });
      expect(await h.db.message.findMany({ where: { answeredById: r1?.id } })).toMatchObject([
        { id: m1?.id },
      ]);
      expect(await h.db.message.findMany({ where: { answeredById: r2?.id } })).toMatchObject([
        { id: m2?.id },
      ]);

      // The second message's own job finds it answered and ends without a call.
      if (second.status !== 'scheduled') throw new Error(`not scheduled: ${second.status}`);
      expect(await runner.run(second.jobId)).toEqual({ skipped: 'nothing_to_answer' });
      expect(h.gemini.requests).toHaveLength(3);
      await waitFor('both replies posted', () => h.adapter.replies().length === 2);
      expect(h.adapter.replies().map((r) => r.text)).toEqual(['answer to the first', 'answer to the second']);
    });
  });
}
