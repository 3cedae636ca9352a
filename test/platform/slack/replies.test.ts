/**
 * What reaches Slack when an agent replies: no pings, the eyes fallback for the working signal,
 * long replies split, rate limits waited out (the whole pipeline, as in events.test.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { directMessage } from '../../fakes/slack-events.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/wait-for.ts';
import { type SlackHarness, startSlackHarness } from './slack-harness.ts';

const PING = /<!(channel|here|everyone|subteam)|(^|[^\p{L}\p{N}_@])@(channel|here|everyone)\b/iu;

describe('slack replies', () => {
  const database = useTestDatabase('sqlite');
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

  const posts = () => h.slack.callsTo('chat.postMessage');

  it('never lets a broadcast from the model reach Slack as a ping', async () => {
    h.gemini.enqueue({ text: '<!channel> hi @here <!subteam^S1|@devs> and <!everyone>, **done**' });
    await h.sendEvent(directMessage({ user: 'UANA', text: 'ping everyone', channel: 'D0PING' }));
    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    const text = String(post?.params.text);
    expect(text).not.toMatch(PING);
    expect(text).toContain('hi');
    expect(text).toContain('*done*');
    expect(post?.params.link_names).toBeUndefined();
  });

  it('falls back to an eyes reaction when setStatus is refused, and removes it', async () => {
    h.slack.setDefault('assistant.threads.setStatus', { error: 'channel_not_found' });
    const event = directMessage({ user: 'UANA', text: 'react please', channel: 'D0EYES' });
    await h.sendEvent(event);
    await h.slack.waitForCalls('chat.postMessage', 1);
    const [removed] = await h.slack.waitForCalls('reactions.remove', 1);
    const [added] = h.slack.callsTo('reactions.add');
    expect(added?.params).toEqual({ channel: 'D0EYES', timestamp: event.ts, name: 'eyes' });
    expect(removed?.params).toEqual({ channel: 'D0EYES', timestamp: event.ts, name: 'eyes' });
    const order = h.slack.calls
      .map((c) => c.method)
      .filter((m) => m.startsWith('reactions') || m === 'chat.postMessage');
    expect(order).toEqual(['reactions.add', 'chat.postMessage', 'reactions.remove']);
  });

  it('splits a long reply into tagged parts in the same place and records the first', async () => {
    const paragraph = (n: number) => `Paragraph ${n}: ${'lorem ipsum dolor sit amet '.repeat(40).trim()}`;
    h.gemini.enqueue({ text: Array.from({ length: 8 }, (_, i) => paragraph(i + 1)).join('\n\n') });
    await h.sendEvent(directMessage({ user: 'UANA', text: 'tell me a lot', channel: 'D0LONG' }));
    await waitFor('the long reply delivered', () =>
      h.db.message.findFirst({
        where: { agentId: aria.id, deliveredAt: { not: null }, conversation: { channelId: 'D0LONG' } },
      }),
    );
    const parts = posts();
    expect(parts.length).toBeGreaterThanOrEqual(3);
    const key = (parts[0]?.params.metadata as { event_payload?: { key?: unknown } })?.event_payload?.key;
    expect(key).toMatch(/^reply-/);
    for (const [index, part] of parts.entries()) {
      expect(String(part.params.text).length).toBeLessThanOrEqual(3000);
      expect(part.params).toMatchObject({ channel: 'D0LONG', username: 'Aria' });
      // Each part says which reply and part it is, so a retried delivery can find it.
      expect(part.params.metadata).toEqual({
        event_type: 'agent_bridge_reply',
        event_payload: { key, part: index },
      });
    }
    expect(h.slack.messages('D0LONG').map((m) => m.ts)).toEqual(parts.map((p) => p.answer?.body.ts));
    expect(String(parts[0]?.params.text)).toMatch(/^Paragraph 1:/);
    expect(String(parts.at(-1)?.params.text)).toMatch(/Paragraph 8:/);
    const reply = await h.db.message.findFirst({
      where: { agentId: aria.id, conversation: { channelId: 'D0LONG' } },
    });
    expect(reply?.platformMessageId).toBe(parts[0]?.answer?.body.ts);
  });

  it('waits out a 429 on chat.postMessage instead of failing the delivery', async () => {
    h.slack.enqueue('chat.postMessage', { rateLimited: true, retryAfterSeconds: 1 });
    await h.sendEvent(directMessage({ user: 'UANA', text: 'rate me', channel: 'D0RATE' }));
    const calls = await h.slack.waitForCalls('chat.postMessage', 2);
    expect(calls).toHaveLength(2);
    await waitFor('the reply delivered after the rate limit', () =>
      h.db.message.findFirst({
        where: { agentId: aria.id, deliveredAt: { not: null }, conversation: { channelId: 'D0RATE' } },
      }),
    );
    expect(calls[0]?.answer?.status).toBe(429);
    expect(h.gemini.requests).toHaveLength(1);
  });
});
