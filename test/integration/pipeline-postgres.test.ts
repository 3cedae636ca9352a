// The pipeline's store paths on PostgreSQL: the rest of the pipeline suite runs on SQLite.
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { useTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const t = useTestDatabase('postgresql');
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('reply pipeline on PostgreSQL', () => {
  it('a burst gets one reply; the reply, its LLM record and the job are stored', async () => {
    h = await startHarness(t.current, { DEBOUNCE_MS: '300' });
    const aria = await h.createAgent('Aria');
    h.gemini.enqueue({ text: 'one answer for all three' });
    for (const text of ['one', 'two', 'three']) await h.send(text);
    await waitFor('the reply', () => h?.adapter.replies().length === 1);
    expect(h.gemini.requests).toHaveLength(1);
    const job = await h.db.job.findFirstOrThrow({ where: { agentId: aria.id } });
    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    expect(await h.db.message.count({ where: { answeredById: job.replyMessageId } })).toBe(3);
    expect(await h.db.llmMessage.count({ where: { jobId: job.id } })).toBe(5);
  });

  it('final failure stores the reason and delivers FAILURE_MESSAGE', async () => {
    h = await startHarness(t.current, { JOB_ATTEMPTS: '2', FAILURE_MESSAGE: 'Could not answer.' });
    const aria = await h.createAgent('Aria');
    h.gemini.enqueue({ status: 500 }, { status: 500 });
    await h.send('hello');
    await waitFor('the failure message', () => h?.adapter.replies().length === 1);
    expect(h.adapter.replies()[0]?.text).toBe('Could not answer.');
    expect(await h.db.job.findFirstOrThrow({ where: { agentId: aria.id } })).toMatchObject({
      status: 'failed',
      attempts: 2,
    });
  });
});
