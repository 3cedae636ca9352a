import { afterEach, describe, expect, it } from 'vitest';
import { setAgentPaused } from '../../src/store/agents.ts';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { useTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const FAILURE = 'Sorry, the agent could not answer.';
const t = useTestDatabase('sqlite');
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(env: Record<string, string> = {}) {
  h = await startHarness(t.current.db, { FAILURE_MESSAGE: FAILURE, ...env });
  return h;
}

describe('reply pipeline', () => {
  it('answers a DM once, as the agent, with the typing signal shown first and cleared after', async () => {
    const h = await harness();
    const aria = await h.createAgent('Aria', { role: 'TypeScript mentor' });
    h.gemini.enqueue({ text: 'Hi Ana, how can I help?' });

    const outcome = await h.send('hello there');
    expect(outcome).toMatchObject({ status: 'scheduled', agentId: aria.id });
    expect(h.adapter.typing.map((e) => e.action)).toEqual(['start']);

    await waitFor('the reply', () => h.adapter.replies().length === 1);
    await waitFor('typing cleared', () => h.adapter.typing.some((e) => e.action === 'stop'));
    const [reply] = h.adapter.replies();
    expect(reply).toMatchObject({ text: 'Hi Ana, how can I help?', channelId: 'D1', isDirect: true });
    expect(reply?.agent.name).toBe('Aria');
    expect(h.adapter.typing.map((e) => e.action)).toEqual(['start', 'stop']);

    const [request] = h.gemini.requests;
    expect(request?.body.systemInstruction?.parts[0]?.text).toContain('You are Aria, TypeScript mentor.');
    expect(request?.body.contents).toEqual([{ role: 'user', parts: [{ text: 'hello there' }] }]);

    const stored = await h.db.message.findFirstOrThrow({ where: { agentId: aria.id } });
    expect(stored).toMatchObject({ content: 'Hi Ana, how can I help?', platformMessageId: 'posted-1' });
    expect(stored.deliveredAt).not.toBeNull();
    const job = await h.db.job.findFirstOrThrow({ where: { agentId: aria.id } });
    expect(job).toMatchObject({ status: 'completed', attempts: 1, replyMessageId: stored.id });
    expect(await h.db.messageJob.count({ where: { jobId: job.id, status: 'completed' } })).toBe(1);
    const llm = await h.db.llmMessage.findMany({ where: { jobId: job.id }, orderBy: { id: 'asc' } });
    expect(llm.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    const agent = await h.db.agent.findUniqueOrThrow({ where: { id: aria.id } });
    expect(agent).toMatchObject({ status: 'active', totalResponses: 1, currentJobCount: 0 });
  });

  it('a burst of five messages within DEBOUNCE_MS gives one model call holding all five, and one reply', async () => {
    const h = await harness({ DEBOUNCE_MS: '400' });
    const aria = await h.createAgent('Aria');
    const outcomes = [];
    for (let i = 1; i <= 5; i++) outcomes.push(await h.send(`part ${i}`));
    expect(outcomes.filter((o) => o.status === 'scheduled' && o.debounced)).toHaveLength(4);

    await waitFor('the reply', () => h.adapter.replies().length === 1);
    expect(h.gemini.requests).toHaveLength(1);
    const texts = h.gemini.requests[0]?.body.contents.map((c) => c.parts[0]?.text);
    expect(texts).toEqual(['part 1', 'part 2', 'part 3', 'part 4', 'part 5']);
    const job = await h.db.job.findFirstOrThrow({ where: { agentId: aria.id } });
    expect(await h.db.messageJob.count({ where: { jobId: job.id } })).toBe(5);
  });

  it('a retried platform event (same event, same message) is processed once: one reply, one model call', async () => {
    const h = await harness();
    await h.createAgent('Aria');
    const event = { platformMessageId: '1700000000.000100', platformEventId: 'Ev123' };
    const first = await h.send('hello', event);
    const retry = await h.send('hello', event);
    const sameMessageOtherEvent = await h.send('hello', { ...event, platformEventId: 'Ev456' });
    expect(first.status).toBe('scheduled');
    expect(retry).toEqual({ status: 'duplicate' });
    expect(sameMessageOtherEvent).toEqual({ status: 'duplicate' });

    await waitFor('the reply', () => h.adapter.replies().length === 1);
    // A late extra reply would show up while the next message is answered.
    await h.send('second');
    await waitFor('the second reply', () => h.adapter.replies().length === 2);
    expect(h.gemini.requests).toHaveLength(2);
  });

  it('after JOB_ATTEMPTS model failures the user gets FAILURE_MESSAGE, the reason is stored and the agent is active again', async () => {
    const h = await harness({ JOB_ATTEMPTS: '3' });
    const aria = await h.createAgent('Aria');
    h.gemini.enqueue({ status: 500 }, { status: 500 }, { status: 500 });
    await h.send('hello');

    await waitFor('the failure message', () => h.adapter.replies().length === 1);
    expect(h.adapter.replies()[0]?.text).toBe(FAILURE);
    expect(h.gemini.requests).toHaveLength(3);
    const job = await h.db.job.findFirstOrThrow({ where: { agentId: aria.id } });
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(3);
    expect(job.error).toMatch(/500|server/i);
    const agent = await h.db.agent.findUniqueOrThrow({ where: { id: aria.id } });
    expect(agent).toMatchObject({ status: 'active', currentJobCount: 0 });
    await waitFor('typing cleared', () => h.adapter.typing.some((e) => e.action === 'stop'));
  });

  it('a 500 then success retries and answers normally', async () => {
    const h = await harness({ JOB_ATTEMPTS: '3' });
    const aria = await h.createAgent('Aria');
    h.gemini.enqueue({ status: 503 }, { text: 'second time lucky' });
    await h.send('hello');
    await waitFor('the reply', () => h.adapter.replies().length === 1);
    expect(h.adapter.replies()[0]?.text).toBe('second time lucky');
    expect((await h.db.job.findFirstOrThrow({ where: { agentId: aria.id } })).attempts).toBe(2);
  });

  it("a 429's Retry-After is waited out before the next attempt", async () => {
    const h = await harness({ JOB_ATTEMPTS: '3' });
    await h.createAgent('Aria');
    const attemptsAt: number[] = [];
    h.pipeline.bus.on('agent.responding', (e) => {
      attemptsAt.push(e.startedAt.getTime());
    });
    h.gemini.enqueue({ status: 429, retryDelay: '1s', retryAfter: '1' }, { text: 'after the wait' });
    await h.send('hello');
    await waitFor('the reply', () => h.adapter.replies().length === 1);
    expect(h.adapter.replies()[0]?.text).toBe('after the wait');
    expect(h.gemini.requests).toHaveLength(2);
    // JOB_BACKOFF_MS is 20 ms here: only the Retry-After can explain a second-long wait.
    expect(attemptsAt).toHaveLength(2);
    expect((attemptsAt[1] ?? 0) - (attemptsAt[0] ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('a non-retryable 400 (bad key) fails at once: one call, FAILURE_MESSAGE, key never shown', async () => {
    const h = await harness({ JOB_ATTEMPTS: '3' });
    const aria = await h.createAgent('Aria');
    h.gemini.enqueue({ status: 400, message: 'API key not valid. Please pass a valid API key.' });
    await h.send('hello');
    await waitFor('the failure message', () => h.adapter.replies().length === 1);
    expect(h.adapter.replies()[0]?.text).toBe(FAILURE);
    expect(h.gemini.requests).toHaveLength(1);
    const job = await h.db.job.findFirstOrThrow({ where: { agentId: aria.id } });
    expect(job).toMatchObject({ status: 'failed', attempts: 1 });
    expect(job.error).not.toContain(h.gemini.apiKey);
  });

  it('a paused agent answers with a one-line notice, once, and makes no model call', async () => {
    const h = await harness();
    const aria = await h.createAgent('Aria');
    await setAgentPaused(h.db, aria.id, true, { label: 'test' });
    expect(await h.send('hello')).toMatchObject({ status: 'notice', notice: 'paused' });
    await h.send('anyone there?');
    expect(h.adapter.notices().map((n) => n.text)).toEqual([
      'Aria is paused. Ask its owner or an admin to run /agent resume Aria.',
    ]);
    expect(h.gemini.requests).toHaveLength(0);
  });

  it('a DM with several agents and none chosen gets a help message listing them', async () => {
    const h = await harness();
    await h.createAgent('Aria', { role: 'mentor' });
    await h.createAgent('Nova', { role: 'designer' });
    expect(await h.send('hi')).toMatchObject({ status: 'notice', notice: 'help' });
    expect(h.adapter.notices()[0]?.text).toMatch(/Aria \(mentor\), Nova \(designer\)/);
    expect(await h.send('Nova, hi')).toMatchObject({ status: 'scheduled' });
  });

  it('a delivery outage is retried without a second model call', async () => {
    const h = await harness();
    await h.createAgent('Aria');
    h.adapter.failNextDeliveries = 2;
    await h.send('hello');
    await waitFor('the reply after the outage', () => h.adapter.replies().length === 1, 20_000);
    expect(h.gemini.requests).toHaveLength(1);
  });
});
