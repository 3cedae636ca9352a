/**
 * Output safety as a Slack user sees it, through the real Bolt app against the fake Web API: a huge
 * answer is a few posts (the last says it was cut), posts unfurl nothing, masked links show their
 * address, nobody outside the conversation is pinged, the model call is capped, a message with NUL
 * is stored and answered, and notices cannot be used to make the bot post without end.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { channelMessage, directMessage } from '../../fakes/slack-events.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/wait-for.ts';
import { type SlackHarness, startSlackHarness } from './slack-harness.ts';

describe('slack output safety', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;
  let aria: { id: string; name: string };
  let dm = 0;
  const newDm = () => `D0SAFE${++dm}`;

  beforeAll(async () => {
    h = await startSlackHarness(database.current, {
      env: { MAX_REPLY_PARTS: '3', MAX_OUTPUT_TOKENS: '321' },
    });
    aria = await h.createAgent('Aria');
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.slack.reset();
    h.gemini.reset();
  });

  const posts = () => h.slack.callsTo('chat.postMessage');
  const delivered = (channel: string) =>
    waitFor('the reply delivered', () =>
      h.db.message.findFirst({
        where: { agentId: aria.id, deliveredAt: { not: null }, conversation: { channelId: channel } },
      }),
    );

  it('a 100 KB answer is posted as MAX_REPLY_PARTS messages, the last marked truncated; the stored reply is whole', async () => {
    const answer = 'All work and no play makes a long answer. '.repeat(2500);
    h.gemini.enqueue({ text: answer });
    const channel = newDm();
    await h.sendEvent(directMessage({ user: 'UANA', text: 'write a novel', channel }));
    const reply = await delivered(channel);
    expect(posts()).toHaveLength(3);
    expect(String(posts()[2]?.params.text).endsWith('…(truncated)')).toBe(true);
    expect(
      posts().map((p) => (p.params.metadata as { event_payload: { part: number } }).event_payload.part),
    ).toEqual([0, 1, 2]);
    // What is stored is only bounded by the storage cap (40,000 characters), not by the posts.
    expect(reply.content).toHaveLength(40_000);
    expect(reply.content.startsWith(answer.slice(0, 39_000))).toBe(true);
    expect(JSON.parse(String(reply.postedParts))).toHaveLength(3);
  });

  it('posts ask Slack not to unfurl links or media, and the model call is capped at MAX_OUTPUT_TOKENS', async () => {
    h.gemini.enqueue({ text: 'See https://example.com/page' });
    const channel = newDm();
    await h.sendEvent(directMessage({ user: 'UANA', text: 'a link please', channel }));
    await delivered(channel);
    const [post] = posts();
    expect(post?.params).toMatchObject({ unfurl_links: 'false', unfurl_media: 'false' });
    expect(h.gemini.requests[0]?.body.generationConfig?.maxOutputTokens).toBe(321);
  });

  it('a masked link shows its real address', async () => {
    h.gemini.enqueue({ text: 'Read [the official docs](https://evil.example/steal) first.' });
    const channel = newDm();
    await h.sendEvent(directMessage({ user: 'UANA', text: 'docs?', channel }));
    await delivered(channel);
    expect(String(posts()[0]?.params.text)).toBe(
      'Read the official docs (<https://evil.example/steal>) first.',
    );
  });

  it('a user who never appeared in the conversation is named, not pinged; the asker and people mentioned stay mentions', async () => {
    h.gemini.enqueue({ text: 'Sure <@UANA>, ask <@UBOB>; and cc <@UCEO|the boss> and <@UZED>.' });
    const channel = newDm();
    await h.sendEvent(directMessage({ user: 'UANA', text: 'who knows? maybe <@UBOB>', channel }));
    const reply = await delivered(channel);
    const text = String(posts()[0]?.params.text);
    expect(text).toBe('Sure <@UANA>, ask <@UBOB>; and cc @\u2060the boss and @\u2060UZED.');
    expect(reply.content).toBe(text);
  });

  it('a message with NUL and a lone surrogate is stored (cleaned) and answered once', async () => {
    h.gemini.enqueue({ text: 'Got it.' });
    const channel = newDm();
    const event = directMessage({ user: 'UANA', text: 'bad\u0000bytes \uD800 here', channel });
    const answer = await h.sendEvent(event);
    expect(answer.status).toBe(200);
    await delivered(channel);
    const stored = await h.db.message.findFirstOrThrow({ where: { platformMessageId: event.ts } });
    expect(stored.content).toBe('badbytes \uFFFD here');
    expect(posts()).toHaveLength(1);
  });

  it('notices are throttled: three mentions in a channel where no agent joined get one notice', async () => {
    const channel = 'C0NOTICE';
    for (const text of ['<@UBOT> hello?', '<@UBOT> anyone?', '<@UBOT> hello??']) {
      const answer = await h.sendEvent(channelMessage({ type: 'app_mention', user: 'UANA', text, channel }));
      expect(answer.status).toBe(200);
    }
    await h.pipeline.orchestrator.settled();
    expect(posts()).toHaveLength(1);
    expect(String(posts()[0]?.params.text)).toContain('No agent has joined this channel');
  });
});
