/**
 * Streamed replies on Slack, the whole service path (real Bolt, the real @ai-sdk/google streaming
 * from the fake Gemini, the fake Slack that knows chat.startStream / appendStream / stopStream and
 * their refusals). What a person sees: one message per reply while it streams, updated about once
 * a second, ending with exactly the stored reply; a model that fails mid-answer leaves no second
 * message, its retry's answer (or FAILURE_MESSAGE) replaces the partial text in the same message.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatForSlack } from '../../../src/adapters/slack/format.ts';
import { updateAgent } from '../../../src/store/agents.ts';
import { channelMessage, directMessage } from '../../fakes/slack-events.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/wait-for.ts';
import { type SlackHarness, startSlackHarness } from './slack-harness.ts';

const FAILURE = 'STREAM-FAILURE the agent could not answer';

/** `count` words the way a model streams them: one chunk each, with its leading space. */
function words(count: number, stem = 'word'): string[] {
  return Array.from({ length: count }, (_, i) => `${i === 0 ? '' : ' '}${stem}${i + 1}`);
}

describe('slack streamed replies', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;
  let aria: { id: string; name: string };

  beforeAll(async () => {
    h = await startSlackHarness(database.current, {
      env: { STREAM_REPLIES: 'true', FAILURE_MESSAGE: FAILURE, JOB_BACKOFF_MS: '20' },
    });
    aria = await h.createAgent('Aria', { avatarUrl: 'https://example.com/aria.png' });
    for (const channel of ['C0STREAM', 'C0REFUSE', 'C0FAIL']) await h.join(aria.id, channel);
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.slack.reset();
    h.gemini.reset();
  });

  const botMessages = (channel: string, thread?: string) =>
    h.slack.messages(channel, thread).filter((m) => m.bot_id === h.slack.bot.botId);
  const storedReply = async (channelId: string) => {
    const rows = await h.db.message.findMany({
      where: { agentId: aria.id, conversation: { channelId } },
      orderBy: { id: 'desc' },
    });
    return rows[0];
  };
  const delivered = (channelId: string) =>
    waitFor(`the reply in ${channelId} delivered`, async () => (await storedReply(channelId))?.deliveredAt);

  it('streams a thread reply into one message under the agent, paced, ending with the stored reply', async () => {
    const chunks = words(12);
    h.gemini.enqueue({ text: chunks, chunkDelayMs: 200 });
    const ts = '1790000000.000100';
    await h.sendEvent(
      channelMessage({
        type: 'app_mention',
        user: 'UANA',
        text: '<@UBOT> Aria, count',
        channel: 'C0STREAM',
        ts,
      }),
    );
    await delivered('C0STREAM');

    const [start] = h.slack.callsTo('chat.startStream');
    expect(start?.params).toMatchObject({
      channel: 'C0STREAM',
      thread_ts: ts,
      username: 'Aria',
      icon_url: 'https://example.com/aria.png',
      recipient_user_id: 'UANA',
    });
    expect(h.slack.callsTo('chat.startStream')).toHaveLength(1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    // About one update a second: 2.2 s of writing is a handful of appends, not twelve.
    const appends = h.slack.callsTo('chat.appendStream');
    expect(appends.length).toBeGreaterThanOrEqual(1);
    expect(appends.length).toBeLessThanOrEqual(4);
    expect(h.slack.callsTo('chat.stopStream')).toHaveLength(1);

    const reply = await storedReply('C0STREAM');
    expect(reply?.content).toBe(chunks.join(''));
    const shown = botMessages('C0STREAM', ts);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.text).toBe(formatForSlack(chunks.join(''))[0]);
    expect(shown[0]?.username).toBe('Aria');
    expect(shown[0]?.metadata?.event_payload).toMatchObject({ key: `reply-${reply?.id}`, part: 0 });
    expect(shown[0]?.streaming).toBe(false);
  });

  it('in a DM (no thread to stream in) posts once and edits that message, Markdown closed mid-stream', async () => {
    const chunks = ['Here:\n', '```ts\n', 'const a = 1;\n', 'const b = 2;\n', '```\n', 'and **bold** done.'];
    h.gemini.enqueue({ text: chunks, chunkDelayMs: 400 });
    await h.sendEvent(directMessage({ user: 'UANA', text: 'code please', channel: 'D0STREAM' }));
    await delivered('D0STREAM');

    expect(h.slack.callsTo('chat.startStream')).toHaveLength(0);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
    const updates = h.slack.callsTo('chat.update');
    expect(updates.length).toBeGreaterThanOrEqual(2);
    // Every text shown had its code fence closed: never a half-converted message.
    for (const call of [...h.slack.callsTo('chat.postMessage'), ...updates]) {
      const fences = String(call.params.text).match(/```/g)?.length ?? 0;
      expect(fences % 2, String(call.params.text)).toBe(0);
    }
    const reply = await storedReply('D0STREAM');
    const shown = botMessages('D0STREAM');
    expect(shown).toHaveLength(1);
    expect(shown[0]?.text).toBe(formatForSlack(String(reply?.content))[0]);
  });

  it('posts and edits where Slack refuses to stream, and remembers that workspace', async () => {
    h.slack.enqueue('chat.startStream', { error: 'not_allowed_token_type' });
    h.gemini.enqueue({ text: words(6, 'fallback'), chunkDelayMs: 150 });
    const ts = '1790000000.000200';
    await h.sendEvent(
      channelMessage({
        type: 'app_mention',
        user: 'UANA',
        text: '<@UBOT> Aria, again',
        channel: 'C0REFUSE',
        ts,
      }),
    );
    await delivered('C0REFUSE');
    expect(h.slack.callsTo('chat.startStream')).toHaveLength(1);
    const [post] = h.slack.callsTo('chat.postMessage');
    expect(post?.params).toMatchObject({ thread_ts: ts, username: 'Aria' });
    const shown = botMessages('C0REFUSE', ts);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.text).toBe(words(6, 'fallback').join(''));
  });

  it('a retry after the model failed mid-answer replaces the partial text in the same message', async () => {
    h.gemini.enqueue(
      { text: words(8, 'broken'), chunkDelayMs: 150, breakAfterChunks: 4 },
      { text: words(5, 'answer'), chunkDelayMs: 50 },
    );
    await h.sendEvent(directMessage({ user: 'UANA', text: 'retry me', channel: 'D0RETRY' }));
    await delivered('D0RETRY');
    expect(h.gemini.requests.length).toBe(2);
    // The failed attempt had shown its partial text; the retry edited that message.
    expect(String(h.slack.callsTo('chat.postMessage')[0]?.params.text)).toContain('broken1');
    const shown = botMessages('D0RETRY');
    expect(shown).toHaveLength(1);
    expect(shown[0]?.text).toBe(words(5, 'answer').join(''));
    expect((await storedReply('D0RETRY'))?.content).toBe(words(5, 'answer').join(''));
  });

  it('after the last failed attempt, FAILURE_MESSAGE replaces the partial text in the same message', async () => {
    const breaking = { text: words(8, 'partial'), chunkDelayMs: 100, breakAfterChunks: 3 };
    h.gemini.enqueue(breaking, breaking, breaking);
    const ts = '1790000000.000300';
    await h.sendEvent(
      channelMessage({
        type: 'app_mention',
        user: 'UANA',
        text: '<@UBOT> Aria, fail',
        channel: 'C0FAIL',
        ts,
      }),
    );
    await waitFor('FAILURE_MESSAGE delivered', async () => {
      const reply = await storedReply('C0FAIL');
      return reply?.content === FAILURE && reply.deliveredAt;
    });
    const shown = botMessages('C0FAIL', ts);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.text).toBe(FAILURE);
    // Started once (the workspace refused streams in the test before: a post, else a stream).
    const starts = h.slack.callsTo('chat.startStream').length + h.slack.callsTo('chat.postMessage').length;
    expect(starts).toBe(1);
  });

  it('stream=off: the reply is posted once when done, never streamed or edited', async () => {
    await updateAgent(h.db, aria.id, { streamReplies: false }, { label: 'test' });
    await h.pipeline.announceDirectoryChange();
    try {
      h.gemini.enqueue({ text: words(6, 'quiet'), chunkDelayMs: 100 });
      await h.sendEvent(directMessage({ user: 'UANA', text: 'no streaming', channel: 'D0OFF' }));
      await delivered('D0OFF');
      expect(h.slack.callsTo('chat.startStream')).toHaveLength(0);
      expect(h.slack.callsTo('chat.update')).toHaveLength(0);
      expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
      expect(h.slack.callsTo('chat.postMessage')[0]?.params.text).toBe(words(6, 'quiet').join(''));
      expect(h.gemini.requests).toHaveLength(1);
      expect(h.gemini.requests[0]?.stream).toBe(false);
    } finally {
      await updateAgent(h.db, aria.id, { streamReplies: true }, { label: 'test' });
      await h.pipeline.announceDirectoryChange();
    }
  });
});
