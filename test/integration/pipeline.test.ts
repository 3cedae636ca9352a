import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import type { InboundMessage } from '../../src/core/types.ts';
import { joinChannel, setAgentPaused } from '../../src/store/agents.ts';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { createTestDatabase, useTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const FAILURE = 'Sorry, the agent could not answer.';
const workerScript = join(import.meta.dirname, '..', 'support', 'worker-process.ts');
const t = useTestDatabase('sqlite');
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(env: Record<string, string> = {}) {
  h = await startHarness(t.current, { FAILURE_MESSAGE: FAILURE, ...env });
  return h;
}

describe('reply pipeline', () => {
  it('answers a DM once, as the agent, with the typing signal shown first and cleared after', async () => {
    const h = await harness();
    const aria = await h.createAgent('Aria', { role: 'TypeScript mentor' });
    h.gemini.enqueue({ text: 'Hi Ana, how can I help?' });
    const responded: string[] = [];
    h.pipeline.bus.on('agent.responded', (e) => {
      responded.push(e.jobId);
    });

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
    expect(responded).toEqual([job.queueJobId]);
    expect(await h.db.message.count({ where: { answeredById: stored.id } })).toBe(1);
    const llm = await h.db.llmMessage.findMany({ where: { jobId: job.id }, orderBy: { id: 'asc' } });
    expect(llm.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    const agent = await h.db.agent.findUniqueOrThrow({ where: { id: aria.id } });
    expect(agent).toMatchObject({ status: 'active' });
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
    const reply = await h.db.message.findFirstOrThrow({ where: { agentId: aria.id } });
    expect(await h.db.message.count({ where: { answeredById: reply.id } })).toBe(5);
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
    expect(agent).toMatchObject({ status: 'active' });
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
    const sent = await Promise.all([h.send('hello'), h.send('anyone there?'), h.send('hello?')]);
    expect(sent.map((o) => o.status)).toEqual(['notice', 'notice', 'notice']);
    await h.send('still there?');
    await h.pipeline.orchestrator.settled();
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
    // Answered before the next test: an intent left open in this file's database would be found
    // (and answered) by a later test's sweeper.
    await waitFor("Nova's reply", () => h.adapter.replies().length === 1);
  });

  it('edits and deletions follow into the stored conversation the model sees', async () => {
    const h = await harness();
    await h.createAgent('Aria');
    h.gemini.setDefault({ text: 'ok' });
    await h.send('my number is 41', { platformMessageId: 'm1' });
    await waitFor('the first reply', () => h.adapter.replies().length === 1);
    const change = {
      platform: 'slack' as const,
      workspaceId: `T${h.prefix}`,
      channelId: 'D1',
      platformMessageId: 'm1',
    };
    expect(
      await h.pipeline.orchestrator.handleChange({ ...change, kind: 'edit', text: 'my number is 42' }),
    ).toEqual({ updated: 1 });
    await h.send('secret: swordfish', { platformMessageId: 'm2' });
    await waitFor('the second reply', () => h.adapter.replies().length === 2);
    await h.pipeline.orchestrator.handleChange({ ...change, platformMessageId: 'm2', kind: 'delete' });
    await h.send('what did I say?', { platformMessageId: 'm3' });
    await waitFor('the third reply', () => h.adapter.replies().length === 3);
    const seen = h.gemini.requests[2]?.body.contents.map((c) => c.parts[0]?.text);
    expect(seen).toEqual(['my number is 42', 'ok', 'ok', 'what did I say?']);
  });

  it('a DM with no agent in reach says how to make one: in a server for Discord DMs, with /agent elsewhere', async () => {
    const h = await harness();
    expect(await h.send('hi', { channelId: 'D-none' })).toMatchObject({
      status: 'notice',
      notice: 'no_agents',
    });
    expect(await h.send('hi', { channelId: 'D-none2', dmWorkspaceIds: [] })).toMatchObject({
      notice: 'no_agents',
    });
    expect(h.adapter.notices().map((n) => n.text)).toEqual([
      expect.stringContaining('/agent create NAME role='),
      expect.stringContaining('No server you share with the bot has an agent yet'),
    ]);
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

describe('reply pipeline: many agents, limits, crashes', () => {
  function channelMessage(text: string, extra: Partial<InboundMessage> = {}): Partial<InboundMessage> {
    return { channelId: 'C1', isDirect: false, text, mentionedUserIds: ['UBOT'], ...extra };
  }

  it('two agents addressing each other stop at MAX_AGENT_HOPS', async () => {
    const h = await harness({ MAX_AGENT_HOPS: '3' });
    await h.createAgent('Aria');
    await h.createAgent('Nova');
    const loops: string[] = [];
    h.pipeline.bus.on('reply.decided', (e) => {
      if (e.reason === 'loop_limit') loops.push(e.conversationId);
    });
    h.gemini.setDefault((request) => {
      const isAria = request.body.systemInstruction?.parts[0]?.text?.includes('You are Aria');
      return { text: isAria ? 'Nova, what do you think?' : 'Aria, I disagree with you.' };
    });

    await h.send(
      '<@UBOT> Aria start a debate with Nova',
      channelMessage('<@UBOT> Aria start a debate with Nova'),
    );
    await waitFor('the loop guard', () => loops.length === 1);
    // human → Aria → Nova → Aria: the third agent turn reaches the limit and nobody answers it.
    expect(h.adapter.replies().map((r) => r.agent.name)).toEqual(['Aria', 'Nova', 'Aria']);
    expect(h.gemini.requests).toHaveLength(3);
  });

  it('messages from another app that address no agent are stored as context and never answered', async () => {
    const h = await harness();
    await h.createAgent('Aria');
    const outcome = await h.send(
      'Deploy finished',
      channelMessage('Deploy finished', {
        author: { id: 'UOTHER', displayName: 'CI bot', isBot: true, botId: 'BOTHER' },
      }),
    );
    expect(outcome).toMatchObject({ status: 'stored', reason: 'bot_not_addressing' });
    // Our own bot's echo of a posted reply is not even stored again.
    const echo = await h.send('an agent reply', {
      author: { id: 'UBOT', displayName: 'agent-bridge', isBot: true },
    });
    expect(echo).toEqual({ status: 'own_message' });
  });

  it('the model sees the system prompt, then the thread oldest first: own replies as assistant, others as named user turns', async () => {
    const h = await harness();
    const aria = await h.createAgent('Aria', { role: 'mentor' });
    const nova = await h.createAgent('Nova');
    await joinChannel(h.db, aria.id, 'slack', 'C1', { label: 'test' });
    h.gemini.setDefault({ text: 'Aria here.' });
    const inThread = (text: string, extra: Partial<InboundMessage> = {}) =>
      channelMessage(text, { threadId: '1700.000001', ...extra });
    // Not addressed, but Aria has joined the channel: stored as context.
    expect(await h.send('hi all', inThread('hi all', { mentionedUserIds: [] }))).toMatchObject({
      status: 'stored',
    });
    await h.send(
      '<@UBOT> Aria what is a monad?',
      inThread('<@UBOT> Aria what is a monad?', { author: { id: 'UBO', displayName: 'Bo', isBot: false } }),
    );
    await waitFor('the first reply', () => h.adapter.replies().length === 1);
    expect(h.adapter.replies()[0]).toMatchObject({ channelId: 'C1', threadId: '1700.000001' });
    const thread = await h.db.conversation.findFirstOrThrow({
      where: { channelId: 'C1', threadId: '1700.000001', workspace: { externalId: `T${h.prefix}` } },
    });
    await h.db.message.create({
      data: {
        conversationId: thread.id,
        agentId: nova.id,
        content: 'A monoid in the category of endofunctors.',
      },
    });
    await h.send('<@UBOT> Aria is Nova right?', inThread('<@UBOT> Aria is Nova right?'));
    await waitFor('the second reply', () => h.adapter.replies().length === 2);

    const request = h.gemini.requests[1];
    expect(request?.body.systemInstruction?.parts[0]?.text).toMatch(/^You are Aria, mentor\./);
    expect(request?.body.contents.map((c) => [c.role, c.parts[0]?.text])).toEqual([
      ['user', 'Ana: hi all'],
      ['user', 'Bo: <@UBOT> Aria what is a monad?'],
      ['model', 'Aria here.'],
      ['user', 'Nova: A monoid in the category of endofunctors.'],
      ['user', 'Ana: <@UBOT> Aria is Nova right?'],
    ]);
  });

  it('a Slack channel mention opens a thread on the message, and follow-ups there see the question and the answer', async () => {
    const h = await harness();
    await h.createAgent('Aria');
    h.gemini.setDefault({ text: 'Use a Map.' });
    // The Slack adapter says where a channel message's replies go: its own thread.
    await h.send(
      'x',
      channelMessage('<@UBOT> Aria how do I count words?', {
        platformMessageId: '1700.000100',
        replyThreadId: '1700.000100',
      }),
    );
    await waitFor('the reply', () => h.adapter.replies().length === 1);
    expect(h.adapter.replies()[0]).toMatchObject({ channelId: 'C1', threadId: '1700.000100' });
    await h.send(
      'x',
      channelMessage('<@UBOT> Aria and then sort them?', {
        threadId: '1700.000100',
        replyThreadId: '1700.000100',
        platformMessageId: '1700.000200',
      }),
    );
    await waitFor('the follow-up reply', () => h.adapter.replies().length === 2);
    expect(h.gemini.requests[1]?.body.contents.map((c) => c.parts[0]?.text)).toEqual([
      '<@UBOT> Aria how do I count words?',
      'Use a Map.',
      '<@UBOT> Aria and then sort them?',
    ]);
    // The message that opened the thread can still be edited where it now lives.
    const edited = await h.pipeline.orchestrator.handleChange({
      platform: 'slack',
      workspaceId: `T${h.prefix}`,
      channelId: 'C1',
      platformMessageId: '1700.000100',
      kind: 'edit',
      text: 'how do I count words fast?',
    });
    expect(edited).toEqual({ updated: 1 });
  });

  it('channel chatter no agent can hear is not stored', async () => {
    const h = await harness();
    await h.createAgent('Aria');
    expect(await h.send('lunch?', channelMessage('lunch?', { mentionedUserIds: [] }))).toEqual({
      status: 'ignored',
    });
    expect(await h.db.message.count({ where: { content: 'lunch?' } })).toBe(0);
  });

  it('over its rate limit an agent waits: every message is answered, none dropped', async () => {
    h = await startHarness(t.current, { AGENT_RATE_LIMIT_PER_MIN: '2' }, { rateWindowMs: 1500 });
    await h.createAgent('Aria');
    const waits: string[] = [];
    h.pipeline.bus.on('rate.limited', (e) => {
      waits.push(e.limit);
    });
    for (const channelId of ['D1', 'D2', 'D3', 'D4']) await h.send(`hello from ${channelId}`, { channelId });
    await waitFor('all four replies', () => h?.adapter.replies().length === 4, 15_000);
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((limit) => limit === 'rate')).toBe(true);
    expect(new Set(h.adapter.replies().map((r) => r.channelId))).toEqual(new Set(['D1', 'D2', 'D3', 'D4']));
  });

  it("over its provider's cap replies wait their turn across agents' jobs: one call at a time, none dropped", async () => {
    h = await startHarness(t.current, { PROVIDER_MAX_CONCURRENT: '1', AGENT_RATE_LIMIT_PER_MIN: '0' });
    await h.createAgent('Aria');
    let release: () => void = () => {};
    h.gemini.enqueue({ text: 'first', release: new Promise<void>((resolve) => (release = resolve)) });
    const waits: string[] = [];
    h.pipeline.bus.on('rate.limited', (e) => {
      waits.push(`${e.scope} ${e.limit}`);
    });
    for (const channelId of ['D1', 'D2', 'D3']) await h.send(`hello from ${channelId}`, { channelId });
    await waitFor('the other two to wait on the provider', () => waits.length >= 2, 10_000);
    // The first call holds the provider's one slot (it may still be on its way to the model).
    await h.gemini.waitForRequests(1);
    expect(h.gemini.requests).toHaveLength(1);
    release();
    await waitFor('all three replies', () => h?.adapter.replies().length === 3, 15_000);
    expect(new Set(waits)).toEqual(new Set(['provider concurrency']));
    expect(new Set(h.adapter.replies().map((r) => r.channelId))).toEqual(new Set(['D1', 'D2', 'D3']));
  });

  it('WORKER_CONCURRENCY bounds the model calls one process runs at once; the rest wait in the queue', async () => {
    h = await startHarness(t.current, { WORKER_CONCURRENCY: '2', AGENT_RATE_LIMIT_PER_MIN: '0' });
    await h.createAgent('Aria');
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    h.gemini.enqueue({ text: 'one', release: held }, { text: 'two', release: held });
    for (const channelId of ['D1', 'D2', 'D3']) await h.send(`hello from ${channelId}`, { channelId });
    await h.gemini.waitForRequests(2, 10_000);
    // The third waits in Redis: still delayed (its debounce) or waiting, never taken while 2 run.
    await waitFor('the third job to wait in the queue', async () => {
      const counts = await h?.pipeline.queues.replies.getJobCounts('active', 'waiting', 'delayed');
      return counts?.active === 2 && (counts.waiting ?? 0) + (counts.delayed ?? 0) === 1;
    });
    expect(h.gemini.requests).toHaveLength(2);
    release();
    await waitFor('all three replies', () => h?.adapter.replies().length === 3, 15_000);
  });

  it('a worker killed with SIGKILL mid-job leads to exactly one reply', async () => {
    // Its own database: the worker processes sweep, and would answer other tests' leftovers.
    const database = await createTestDatabase('sqlite');
    onTestFinished(() => database.drop());
    const h = await startHarness(database, {}, { role: 'gateway' });
    harnessRef(h);
    await h.createAgent('Aria');
    h.gemini.enqueue({ text: 'too late', delayMs: 60_000 });
    h.gemini.setDefault({ text: 'answered by the second worker' });
    const env = {
      ...process.env,
      DATABASE_URL: database.url,
      QUEUE_PREFIX: h.prefix,
      GOOGLE_GENERATIVE_AI_API_KEY: h.gemini.apiKey,
      GOOGLE_GENERATIVE_AI_BASE_URL: h.gemini.baseURL,
      JOB_LOCK_MS: '1500',
    };
    const worker = spawn(process.execPath, ['--import', 'tsx', workerScript], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => worker.stdout?.once('data', () => resolve()));

    await h.send('hello');
    await h.gemini.waitForRequests(1, 15_000);
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.once('exit', resolve));

    const rescuer = spawn(process.execPath, ['--import', 'tsx', workerScript], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await waitFor('the reply', () => h.adapter.replies().length === 1, 20_000);
      await waitFor('queues drained', async () => {
        const counts = await h.pipeline.queues.replies.getJobCounts('active', 'waiting', 'delayed');
        return Object.values(counts).every((n) => n === 0);
      });
      expect(h.adapter.replies().map((r) => r.text)).toEqual(['answered by the second worker']);
      expect(await h.db.message.count({ where: { content: 'answered by the second worker' } })).toBe(1);
    } finally {
      rescuer.kill('SIGKILL');
    }
  });
});

function harnessRef(value: Harness) {
  h = value;
}
