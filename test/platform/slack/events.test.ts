/**
 * Slack events end to end: signed requests to our express server → real Bolt → orchestrator →
 * queues → fake Gemini → delivery through the fake Slack Web API.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channelMessage, directMessage, nextTs, postSigned } from '../../fakes/slack-events.ts';
import { providers, useTestDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/wait-for.ts';
import { SIGNING_SECRET, type SlackHarness, startSlackHarness } from './slack-harness.ts';

let channelCounter = 0;
const newChannel = () => `C${Date.now().toString(36).toUpperCase()}${++channelCounter}`;

describe.each(providers)('slack events (%s)', (provider) => {
  const database = useTestDatabase(provider);
  let h: SlackHarness;
  let aria: { id: string; name: string };

  beforeAll(async () => {
    h = await startSlackHarness(database.current);
    aria = await h.createAgent('Aria', {
      role: 'TypeScript mentor',
      avatarUrl: 'https://example.com/aria.png',
    });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.slack.reset();
    h.gemini.reset();
  });

  const stored = (ts: string) => h.db.message.findFirst({ where: { platformMessageId: ts } });
  const posts = () => h.slack.callsTo('chat.postMessage');

  it('answers 401 to a forged signature and to a stale timestamp, and stores nothing', async () => {
    const event = directMessage({ user: 'UANA', text: 'forged' });
    const forged = await h.sendEvent(event, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const stale = await h.sendEvent(event, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    expect(await stored(event.ts)).toBeNull();
    expect(h.slack.calls).toEqual([]);
  });

  it('answers url_verification with the challenge', async () => {
    const answer = await postSigned(h.eventsUrl, SIGNING_SECRET, {
      json: { token: 't', challenge: 'challenge-123', type: 'url_verification' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ challenge: 'challenge-123' });
  });

  it('replies once to a DM, as the agent, with the working signal shown first and cleared after', async () => {
    const event = directMessage({ user: 'UANA', text: 'hello there' });
    const answer = await h.sendEvent(event);
    expect(answer.status).toBe(200);
    // Acked only after the message was stored.
    expect(await stored(event.ts)).not.toBeNull();

    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params).toMatchObject({
      channel: 'D0DM',
      username: 'Aria',
      icon_url: 'https://example.com/aria.png',
      text: expect.stringContaining('hello there'),
    });
    expect(post?.params.thread_ts).toBeUndefined();
    expect(post?.params.link_names).toBeUndefined();
    const statuses = await h.slack.waitForCalls('assistant.threads.setStatus', 2);
    const methods = h.slack.calls
      .map((c) => c.method)
      .filter((m) => m !== 'users.info' && m !== 'assistant.threads.setTitle');
    expect(methods).toEqual([
      'assistant.threads.setStatus',
      'chat.postMessage',
      'assistant.threads.setStatus',
    ]);
    // The agent view shows the DM's top-level message as a thread, named after the question.
    const titles = await h.slack.waitForCalls('assistant.threads.setTitle', 1);
    expect(titles.map((c) => c.params)).toEqual([
      { channel_id: 'D0DM', thread_ts: event.ts, title: 'hello there' },
    ]);
    expect(statuses.map((s) => s.params)).toEqual([
      { channel_id: 'D0DM', thread_ts: event.ts, status: 'is thinking…' },
      { channel_id: 'D0DM', thread_ts: event.ts, status: '' },
    ]);
    const reply = await waitFor('the reply recorded as delivered', () =>
      h.db.message.findFirst({
        where: { agentId: aria.id, deliveredAt: { not: null }, conversation: { channelId: 'D0DM' } },
      }),
    );
    expect(reply.platformMessageId).toBe(post?.answer?.body.ts);
    expect(h.adapter.activeSignals()).toBe(0);
    expect(posts()).toHaveLength(1);
  });

  it('replies once to a mention that arrives as app_mention AND message, in the thread of the mention', async () => {
    const channel = newChannel();
    const ts = nextTs();
    const text = '<@UBOT> Aria, what is a union type?';
    const [a, b] = await Promise.all([
      h.sendEvent(channelMessage({ type: 'app_mention', user: 'UANA', text, channel, ts })),
      h.sendEvent(channelMessage({ user: 'UANA', text, channel, ts })),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params).toMatchObject({ channel, thread_ts: ts, username: 'Aria' });
    await waitFor('the signal cleared', () => h.adapter.activeSignals() === 0);
    expect(await h.db.message.count({ where: { platformMessageId: ts } })).toBe(1);
    const question = await h.db.message.findFirstOrThrow({ where: { platformMessageId: ts } });
    expect(question.answeredById).not.toBeNull();
    expect(
      await h.db.message.count({
        where: { agentId: { not: null }, conversationId: question.conversationId },
      }),
    ).toBe(1);
    expect(posts()).toHaveLength(1);
  });

  it("replies once to another app's mention delivered as both events (the orchestrator's dedupe)", async () => {
    const channel = newChannel();
    const ts = nextTs();
    const text = '<@UBOT> Aria, summarize the build';
    const fields = { user: 'UOTHERBOT', bot_id: 'BOTHER', text, channel, ts };
    await Promise.all([
      h.sendEvent(channelMessage({ ...fields, type: 'app_mention' })),
      h.sendEvent(channelMessage(fields)),
    ]);
    await h.slack.waitForCalls('chat.postMessage', 1);
    await waitFor('the signal cleared', () => h.adapter.activeSignals() === 0);
    expect(await h.db.message.count({ where: { platformMessageId: ts } })).toBe(1);
    expect(posts()).toHaveLength(1);
  });

  it('processes a retry of an event_id once', async () => {
    const event = directMessage({ user: 'UANA', text: 'once please', channel: 'D0RETRY' });
    const first = await h.sendEvent(event, { eventId: 'EvRETRY1' });
    const retry = await h.sendEvent(event, { eventId: 'EvRETRY1', retryNum: 1, retryReason: 'http_timeout' });
    expect([first.status, retry.status]).toEqual([200, 200]);
    await h.slack.waitForCalls('chat.postMessage', 1);
    await waitFor('the signal cleared', () => h.adapter.activeSignals() === 0);
    expect(await h.db.message.count({ where: { platformEventId: 'EvRETRY1' } })).toBe(1);
    expect(posts()).toHaveLength(1);
  });

  it('answers 500 when the message could not be stored, so Slack redelivers it', async () => {
    h.failNextInbound = 1;
    const event = directMessage({ user: 'UANA', text: 'store me', channel: 'D0FAIL' });
    expect((await h.sendEvent(event, { eventId: 'EvFAIL1' })).status).toBe(500);
    expect(await stored(event.ts)).toBeNull();
    expect(
      (await h.sendEvent(event, { eventId: 'EvFAIL1', retryNum: 1, retryReason: 'http_error' })).status,
    ).toBe(200);
    expect(await stored(event.ts)).not.toBeNull();
    await h.slack.waitForCalls('chat.postMessage', 1);
  });

  it('replies in the thread a mention was made in', async () => {
    const channel = newChannel();
    const root = nextTs();
    await h.sendEvent(
      channelMessage({
        type: 'app_mention',
        user: 'UANA',
        text: '<@UBOT> Aria: and in here?',
        channel,
        thread_ts: root,
      }),
    );
    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params).toMatchObject({ channel, thread_ts: root, username: 'Aria' });
  });

  it('answers `@bot` alone with the one agent that joined the channel', async () => {
    const channel = newChannel();
    await h.join(aria.id, channel);
    const ts = nextTs();
    await h.sendEvent(
      channelMessage({ type: 'app_mention', user: 'UANA', text: '<@UBOT> how are you?', channel, ts }),
    );
    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params).toMatchObject({ channel, thread_ts: ts, username: 'Aria' });
  });

  it('stores channel chatter as context without replying, and ignores our own posts and system messages', async () => {
    const channel = newChannel();
    await h.join(aria.id, channel);
    const chatter = channelMessage({ user: 'UANA', text: 'just chatting', channel });
    const own = channelMessage({ user: 'UBOT', bot_id: 'BBOT', text: 'an agent reply', channel });
    const ownLegacy = channelMessage({ bot_id: 'BBOT', subtype: 'bot_message', text: 'legacy', channel });
    const join = channelMessage({
      user: 'UNEW',
      subtype: 'channel_join',
      text: '<@UNEW> has joined',
      channel,
    });
    for (const event of [chatter, own, ownLegacy, join]) expect((await h.sendEvent(event)).status).toBe(200);
    expect(await stored(chatter.ts)).toMatchObject({ content: 'just chatting' });
    for (const event of [own, ownLegacy, join]) expect(await stored(event.ts)).toBeNull();
    expect(posts()).toEqual([]);
  });

  it("stores another app's bot message as a bot's, and replies when it addresses an agent", async () => {
    const channel = newChannel();
    // Aria hears the channel: its chatter is context.
    await h.join(aria.id, channel);
    const idle = channelMessage({ bot_id: 'BOTHER', subtype: 'bot_message', text: 'build passed', channel });
    await h.sendEvent({ ...idle, username: 'CI' });
    const row = await h.db.message.findFirst({
      where: { platformMessageId: idle.ts },
      include: { author: true },
    });
    expect(row?.author).toMatchObject({ isBot: true, externalId: 'BOTHER', displayName: 'CI' });
    expect(posts()).toEqual([]);

    const ts = nextTs();
    await h.sendEvent(
      channelMessage({ user: 'UOTHERBOT', bot_id: 'BOTHER', text: '<@UBOT> Aria, review this', channel, ts }),
    );
    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params).toMatchObject({ channel, thread_ts: ts, username: 'Aria' });
  });

  it('follows edits and deletions in the store', async () => {
    const channel = newChannel();
    await h.join(aria.id, channel);
    const original = channelMessage({ user: 'UANA', text: 'first &amp; draft', channel });
    await h.sendEvent(original);
    expect(await stored(original.ts)).toMatchObject({ content: 'first & draft' });
    await h.sendEvent({
      type: 'message',
      subtype: 'message_changed',
      channel,
      channel_type: 'channel',
      hidden: true,
      ts: nextTs(),
      message: { type: 'message', user: 'UANA', text: 'second draft', ts: original.ts },
      previous_message: { type: 'message', user: 'UANA', text: 'first &amp; draft', ts: original.ts },
    });
    const edited = await stored(original.ts);
    expect(edited).toMatchObject({ content: 'second draft', isActive: true });
    expect(edited?.editedAt).not.toBeNull();
    await h.sendEvent({
      type: 'message',
      subtype: 'message_deleted',
      channel,
      channel_type: 'channel',
      hidden: true,
      ts: nextTs(),
      deleted_ts: original.ts,
      previous_message: { type: 'message', user: 'UANA', text: 'second draft', ts: original.ts },
    });
    expect(await stored(original.ts)).toMatchObject({ isActive: false });
  });

  it('does not store chatter in a channel no agent has joined', async () => {
    const channel = newChannel();
    const chatter = channelMessage({ user: 'UANA', text: 'lunch?', channel });
    await h.sendEvent(chatter);
    expect(await stored(chatter.ts)).toBeNull();
  });

  it('hints at /agent join when the bot is mentioned where no agent joined, posting as the bot', async () => {
    const channel = newChannel();
    const ts = nextTs();
    await h.sendEvent(
      channelMessage({ type: 'app_mention', user: 'UANA', text: '<@UBOT> anyone?', channel, ts }),
    );
    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params).toMatchObject({
      channel,
      thread_ts: ts,
      text: expect.stringContaining('/agent join'),
    });
    expect(post?.params.username).toBeUndefined();
  });
});
