/**
 * Replies reach Slack once per part, whatever fails on the way: the real adapter (Bolt, WebClient,
 * the lean fetch) against the fake Web API, which stores what was posted and fails like Slack (an
 * answer lost on the way back, a 5xx, a 429, a request never answered). The tests assert what the
 * channel or thread shows and what `onPosted` was told (what the delivery job records).
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackAdapter, type SlackAdapter } from '../../../src/adapters/slack/index.ts';
import type { OutboundReply, PostedPart } from '../../../src/core/types.ts';
import { type FakeSlackApi, startFakeSlackApi } from '../../fakes/slack-api.ts';

const REQUEST_TIMEOUT_MS = 400;
/** Three parts: formatForSlack cuts at 3000 characters, at paragraph breaks. */
const LONG = [1, 2, 3]
  .map((n) => `Part ${n}: ${'lorem ipsum dolor sit amet '.repeat(100).trim()}`)
  .join('\n\n');

describe('slack delivery', () => {
  let slack: FakeSlackApi;
  let adapter: SlackAdapter;
  const logs: Array<{ level: number; msg: string; code?: string }> = [];
  let sequence = 0;

  beforeAll(async () => {
    slack = await startFakeSlackApi();
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const unused = async (): Promise<never> => {
      throw new Error('not used here');
    };
    adapter = createSlackAdapter({
      config: { mode: 'http', botToken: slack.token, signingSecret: 'secret', apiUrl: slack.apiUrl },
      retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 20 },
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      hooks: {
        logger: pino({ level: 'debug' }, sink),
        onInbound: unused,
        onChange: unused,
        onUserName: unused,
        onCommand: unused,
        parseCommand: () => {
          throw new Error('not used here');
        },
        listAgents: async () => [],
      },
    });
    await adapter.start();
  });
  afterAll(async () => {
    await adapter?.stop();
    await slack?.close();
  });
  beforeEach(() => {
    slack.reset();
    logs.length = 0;
  });

  /** A reply in a DM (top level) unless `threadId` is given; a fresh channel and key each time. */
  function reply(overrides: Partial<OutboundReply> = {}): OutboundReply {
    sequence += 1;
    return {
      conversationId: `conv-${sequence}`,
      channelId: `D0DELIVERY${sequence}`,
      isDirect: true,
      workspaceId: slack.bot.teamId,
      agent: { id: 'agent-aria', name: 'Aria', avatarUrl: 'https://example.com/aria.png' },
      text: 'Hello from Aria',
      idempotencyKey: `reply-${sequence}`,
      createdAt: new Date(),
      ...overrides,
    };
  }

  function recorder() {
    const parts: PostedPart[] = [];
    return { parts, onPosted: async (part: PostedPart) => void parts.push(part) };
  }

  /** What a person sees: message texts (first 7 characters of long parts), oldest first. */
  const shown = (channel: string, thread?: string) =>
    slack.messages(channel, thread).map((m) => (m.text.startsWith('Part ') ? m.text.slice(0, 7) : m.text));
  const posts = () => slack.callsTo('chat.postMessage');

  it('posts each part as the agent, tagged with the reply key and part index', async () => {
    const r = reply({ text: LONG });
    const { parts, onPosted } = recorder();
    const ids = await adapter.deliver(r, onPosted);

    expect(shown(r.channelId)).toEqual(['Part 1:', 'Part 2:', 'Part 3:']);
    const messages = slack.messages(r.channelId);
    expect(ids).toEqual(messages.map((m) => m.ts));
    for (const [index, message] of messages.entries()) {
      expect(message).toMatchObject({ username: 'Aria', icon_url: 'https://example.com/aria.png' });
      expect(message.metadata).toEqual({
        event_type: 'agent_bridge_reply',
        event_payload: { key: r.idempotencyKey, part: index },
      });
    }
    expect(parts).toEqual(ids.map((ts, index) => ({ index, platformMessageId: ts, last: index === 2 })));
    expect(slack.callsTo('conversations.history')).toEqual([]);
  });

  it('after a post whose answer was lost, the retry finds it: the channel shows it once', async () => {
    const r = reply();
    slack.enqueue('chat.postMessage', { lostResponse: true });
    await expect(adapter.deliver(r)).rejects.toThrow();
    expect(shown(r.channelId)).toEqual(['Hello from Aria']); // Slack kept it

    const { parts, onPosted } = recorder();
    const ids = await adapter.deliver({ ...r, mayHavePosted: true }, onPosted);

    expect(shown(r.channelId)).toEqual(['Hello from Aria']);
    const ts = slack.messages(r.channelId)[0]?.ts;
    expect(ids).toEqual([ts]);
    expect(parts).toEqual([{ index: 0, platformMessageId: ts, last: true }]);
    expect(posts()).toHaveLength(1);
    const lookups = slack.callsTo('conversations.history');
    expect(lookups).toHaveLength(1);
    expect(lookups[0]?.params).toMatchObject({ channel: r.channelId, include_all_metadata: 'true' });
    const oldestMs = Number(lookups[0]?.params.oldest) * 1000;
    const createdMs = r.createdAt?.getTime() ?? 0;
    expect(oldestMs).toBeGreaterThanOrEqual(createdMs - 61_000);
    expect(oldestMs).toBeLessThan(createdMs);
  });

  it('in a thread, finds a lost second part through conversations.replies and posts only the third', async () => {
    const parent = slack.addMessage({
      channel: 'C0THREAD',
      text: '@agent-bridge Aria, explain',
      user: 'UANA',
    });
    const r = reply({ channelId: 'C0THREAD', isDirect: false, threadId: parent.ts, text: LONG });
    // Part 1 is posted and recorded; part 2 reaches Slack, but its answer is lost.
    slack.enqueue('chat.postMessage', { pass: true }, { lostResponse: true });
    const first = recorder();
    await expect(adapter.deliver(r, first.onPosted)).rejects.toThrow();
    expect(first.parts.map((p) => p.index)).toEqual([0]);
    expect(shown('C0THREAD', parent.ts)).toEqual(['Part 1:', 'Part 2:']);

    const second = recorder();
    const recorded = [first.parts[0]?.platformMessageId ?? ''];
    const ids = await adapter.deliver({ ...r, postedParts: recorded, mayHavePosted: true }, second.onPosted);

    expect(shown('C0THREAD', parent.ts)).toEqual(['Part 1:', 'Part 2:', 'Part 3:']);
    expect(shown('C0THREAD')).toEqual(['@agent-bridge Aria, explain']);
    const thread = slack.messages('C0THREAD', parent.ts);
    expect(ids).toEqual(thread.map((m) => m.ts));
    expect(second.parts).toEqual([
      { index: 1, platformMessageId: thread[1]?.ts, last: false },
      { index: 2, platformMessageId: thread[2]?.ts, last: true },
    ]);
    expect(slack.callsTo('conversations.replies').map((c) => c.params.ts)).toEqual([parent.ts]);
  });

  it('a 3-part reply whose second post failed: the retry posts only parts 2 and 3', async () => {
    const r = reply({ text: LONG });
    slack.enqueue('chat.postMessage', { pass: true }, { serverError: 503 });
    const first = recorder();
    await expect(adapter.deliver(r, first.onPosted)).rejects.toThrow(/503/);
    expect(shown(r.channelId)).toEqual(['Part 1:']);

    const second = recorder();
    const ids = await adapter.deliver(
      { ...r, postedParts: [first.parts[0]?.platformMessageId ?? ''] },
      second.onPosted,
    );

    expect(shown(r.channelId)).toEqual(['Part 1:', 'Part 2:', 'Part 3:']);
    expect(ids).toEqual(slack.messages(r.channelId).map((m) => m.ts));
    expect(second.parts.map((p) => [p.index, p.last])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(posts()).toHaveLength(4); // 1 ok, 1 failed, then 2 and 3
  });

  it('a 5xx on a post is not retried blindly: it surfaces at once, and the retry looks first', async () => {
    const r = reply();
    // Slack answered 500 after keeping the post: a blind retry would have shown it twice.
    slack.enqueue('chat.postMessage', { serverError: 500, applied: true });
    const failure = await adapter.deliver(r).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'slack_webapi_http_error', statusCode: 500 });
    expect(posts()).toHaveLength(1);
    expect(shown(r.channelId)).toEqual(['Hello from Aria']);

    const { parts, onPosted } = recorder();
    await adapter.deliver({ ...r, mayHavePosted: true }, onPosted);
    expect(shown(r.channelId)).toEqual(['Hello from Aria']);
    expect(parts.map((p) => p.platformMessageId)).toEqual([slack.messages(r.channelId)[0]?.ts]);
  });

  it('waits out a 429 on a post (Retry-After) and posts once', async () => {
    const r = reply();
    slack.enqueue('chat.postMessage', { rateLimited: true, retryAfterSeconds: 1 });
    const started = Date.now();
    await adapter.deliver(r);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(shown(r.channelId)).toEqual(['Hello from Aria']);
    expect(posts().map((c) => c.answer?.status)).toEqual([429, 200]);
  });

  it('a post never answered fails within the request timeout; if Slack kept it, the retry finds it', async () => {
    const lost = reply();
    slack.enqueue('chat.postMessage', { hang: true });
    let started = Date.now();
    await expect(adapter.deliver(lost)).rejects.toThrow(/abort|timeout/i);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
    expect(shown(lost.channelId)).toEqual([]);

    const kept = reply();
    slack.enqueue('chat.postMessage', { hang: true, applied: true });
    started = Date.now();
    await expect(adapter.deliver(kept)).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
    await adapter.deliver({ ...kept, mayHavePosted: true });
    expect(shown(kept.channelId)).toEqual(['Hello from Aria']);
  });

  it('a lookup that finds nothing posts normally', async () => {
    const r = reply({ text: LONG });
    slack.addMessage({ channel: r.channelId, text: 'an older question', user: 'UANA' });
    const { parts, onPosted } = recorder();
    await adapter.deliver({ ...r, mayHavePosted: true }, onPosted);
    expect(shown(r.channelId)).toEqual(['an older question', 'Part 1:', 'Part 2:', 'Part 3:']);
    expect(parts.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(slack.callsTo('conversations.history')).toHaveLength(1); // once per delivery, not per part
  });

  it("takes only this bot's post with this key as an earlier post", async () => {
    const r = reply();
    const metadata = { event_type: 'agent_bridge_reply', event_payload: { key: r.idempotencyKey, part: 0 } };
    slack.addMessage({ channel: r.channelId, text: 'another app', bot_id: 'BOTHER', metadata });
    slack.addMessage({
      channel: r.channelId,
      text: 'our other reply',
      bot_id: slack.bot.botId,
      metadata: { ...metadata, event_payload: { key: 'reply-other', part: 0 } },
    });
    await adapter.deliver({ ...r, mayHavePosted: true });
    expect(shown(r.channelId)).toEqual(['another app', 'our other reply', 'Hello from Aria']);
  });

  it('pages through newer messages to find the earlier post', async () => {
    const r = reply();
    slack.enqueue('chat.postMessage', { lostResponse: true });
    await expect(adapter.deliver(r)).rejects.toThrow();
    for (let i = 0; i < 450; i++)
      slack.addMessage({ channel: r.channelId, text: `chatter ${i}`, user: 'UANA' });

    await adapter.deliver({ ...r, mayHavePosted: true });
    expect(shown(r.channelId).filter((t) => t === 'Hello from Aria')).toHaveLength(1);
    const cursors = slack.callsTo('conversations.history').map((c) => c.params.cursor);
    expect(cursors).toHaveLength(3);
    expect(cursors[0]).toBeUndefined();
    expect(cursors.slice(1).every((c) => typeof c === 'string' && c.length > 0)).toBe(true);
  });

  it('a lookup Slack refuses (missing_scope) posts anyway and says so once', async () => {
    slack.setDefault('conversations.history', { error: 'missing_scope' });
    const first = reply();
    const second = reply();
    await adapter.deliver({ ...first, mayHavePosted: true });
    await adapter.deliver({ ...second, mayHavePosted: true });
    expect(shown(first.channelId)).toEqual(['Hello from Aria']);
    expect(shown(second.channelId)).toEqual(['Hello from Aria']);
    const warnings = logs.filter((l) => l.level === 40 && l.code === 'missing_scope');
    expect(warnings).toHaveLength(1);
  });

  it('a rate-limited lookup waits out a short Retry-After, and gives up (posting) on a long one', async () => {
    const r = reply();
    slack.enqueue('chat.postMessage', { lostResponse: true });
    await expect(adapter.deliver(r)).rejects.toThrow();
    slack.enqueue('conversations.history', { rateLimited: true, retryAfterSeconds: 1 });
    let started = Date.now();
    await adapter.deliver({ ...r, mayHavePosted: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(shown(r.channelId)).toEqual(['Hello from Aria']);

    // Beyond the lookup's budget (30 s): post now rather than keep the person waiting.
    const late = reply();
    slack.enqueue('conversations.history', { rateLimited: true, retryAfterSeconds: 120 });
    started = Date.now();
    await adapter.deliver({ ...late, mayHavePosted: true });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(shown(late.channelId)).toEqual(['Hello from Aria']);
  });

  it('retries a lookup that met a 5xx (reads are safe to retry)', async () => {
    const r = reply();
    slack.enqueue('chat.postMessage', { lostResponse: true });
    await expect(adapter.deliver(r)).rejects.toThrow();
    slack.enqueue('conversations.history', { serverError: 503 });
    await adapter.deliver({ ...r, mayHavePosted: true });
    expect(shown(r.channelId)).toEqual(['Hello from Aria']);
    expect(slack.callsTo('conversations.history').map((c) => c.answer?.status)).toEqual([503, 200]);
  });

  it('posts notices as the bot, untagged, without a lookup', async () => {
    const r = reply({ agent: { id: 'agent-bridge', name: 'agent-bridge' }, mayHavePosted: true });
    await adapter.deliver(r);
    const [notice] = slack.messages(r.channelId);
    expect(notice?.text).toBe('Hello from Aria');
    expect(notice?.username).toBeUndefined();
    expect(notice?.metadata).toBeUndefined();
    expect(slack.callsTo('conversations.history')).toEqual([]);
  });

  it('posts nothing when every part was recorded already', async () => {
    const r = reply({ text: LONG, postedParts: ['1.1', '1.2', '1.3'], mayHavePosted: true });
    const { parts, onPosted } = recorder();
    expect(await adapter.deliver(r, onPosted)).toEqual(['1.1', '1.2', '1.3']);
    expect(parts).toEqual([]);
    expect(slack.calls).toEqual([]);
  });
});
