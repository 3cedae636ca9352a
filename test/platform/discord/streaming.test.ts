/**
 * Streamed replies on Discord, the whole service path (real discord.js, the real @ai-sdk/google
 * streaming from the fake Gemini, the fake Discord that knows message edits on both routes and
 * their rate limits). What a person sees: one message per reply while it streams, edited about
 * once a second, ending with exactly the stored reply; a long answer continues in a second message
 * with its code fence intact; a model that fails mid-answer leaves no second message, its retry's
 * answer (or FAILURE_MESSAGE) replaces the partial text in the same message; a 429 on an edit is
 * waited out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  replyLinkLine,
  safeText,
  splitMessage,
  withAgentName,
} from '../../../src/adapters/discord/outbound.ts';
import { updateAgent } from '../../../src/store/agents.ts';
import type { Json } from '../../fakes/discord-payloads.ts';
import { rateLimited } from '../../fakes/discord-rest.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, startDiscordHarness, waitFor } from './harness.ts';

const FAILURE = 'STREAM-FAILURE the agent could not answer';
const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** `count` words the way a model streams them: one chunk each, with its leading space. */
function words(count: number, stem = 'word'): string[] {
  return Array.from({ length: count }, (_, i) => `${i === 0 ? '' : ' '}${stem}${i + 1}`);
}

const fences = (text: unknown) => String(text).match(/```/g)?.length ?? 0;

async function start(env: Record<string, string> = {}) {
  h = await startDiscordHarness(t.current, {
    env: { STREAM_REPLIES: 'true', FAILURE_MESSAGE: FAILURE, ...env },
  });
  const nova = await h.createAgent('Nova', {
    join: [h.discord.general.id, h.discord.random.id],
    avatarUrl: 'https://example.com/nova.png',
  });
  return { h, discord: h.discord, nova };
}

/** The agent's stored reply once delivered. */
async function storedReply(harness: DiscordHarness, agent: { id: string }, content?: string) {
  return waitFor('the reply delivered', async () => {
    const reply = await harness.db.message.findFirst({
      where: { agentId: agent.id, deliveredAt: { not: null } },
      orderBy: { id: 'desc' },
    });
    return reply && (content === undefined || reply.content === content) ? reply : undefined;
  });
}

/** What the channel shows from the bot and our webhooks. */
function ours(harness: DiscordHarness, channelId: string): Json[] {
  const { discord } = harness;
  return discord.rest
    .channelMessages(channelId)
    .filter((m) => m.webhook_id || (m.author as { id?: string }).id === discord.bot.id);
}

describe('discord streamed replies', () => {
  it('streams a channel reply into one webhook message, edited about once a second, ending with the stored reply', async () => {
    const { discord, nova } = await start();
    const chunks = words(12);
    h?.gemini.enqueue({ text: chunks, chunkDelayMs: 200 });
    const asked = discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova count`,
      mentions: [discord.bot],
    });
    const reply = await storedReply(h as DiscordHarness, nova);

    expect(reply.content).toBe(chunks.join(''));
    const posts = discord.rest.posts();
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).toMatchObject({
      username: 'Nova',
      avatar_url: 'https://example.com/nova.png',
      allowed_mentions: { parse: [] },
      flags: 4,
    });
    const edits = discord.rest.edits();
    // 2.2 s of writing: a handful of edits, not twelve, at least ~1 s apart (the final one aside).
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(edits.length).toBeLessThanOrEqual(5);
    const streamed = edits.slice(0, -1);
    for (let i = 1; i < streamed.length; i++) {
      expect((streamed[i]?.at ?? 0) - (streamed[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    }
    for (const edit of edits) expect(edit.body?.allowed_mentions).toMatchObject({ parse: [] });

    const shown = ours(h as DiscordHarness, discord.general.id);
    expect(shown).toHaveLength(1);
    const link = replyLinkLine(discord.guild.id, discord.general.id, String(asked.id));
    expect(shown[0]?.content).toBe(`${link}\n${reply.content}`);
    expect(shown[0]?.id).toBe(reply.platformMessageId);
    const rows = (shown[0]?.components ?? []) as Array<{ components: Array<{ custom_id: string }> }>;
    const buttons = rows[0];
    expect(buttons?.components.map((c) => c.custom_id)).toEqual([
      `agent_feedback:up:reply-${reply.id}`,
      `agent_feedback:down:reply-${reply.id}`,
    ]);
    expect(discord.rest.unscripted429s).toBe(0);
  });

  it('in a thread, the webhook edits carry the thread: one message in the thread, none in the channel', async () => {
    const { discord, nova } = await start();
    h?.gemini.enqueue({ text: words(8, 'threaded'), chunkDelayMs: 200 });
    discord.say({
      author: discord.ana,
      channel: discord.thread,
      content: `<@${discord.bot.id}> Nova in the thread`,
      mentions: [discord.bot],
    });
    const reply = await storedReply(h as DiscordHarness, nova);
    expect(discord.rest.posts()[0]?.query).toMatchObject({ thread_id: discord.thread.id });
    const edits = discord.rest.edits();
    expect(edits.length).toBeGreaterThanOrEqual(2);
    for (const edit of edits) expect(edit.query).toEqual({ thread_id: discord.thread.id });
    const shown = ours(h as DiscordHarness, discord.thread.id);
    expect(shown).toHaveLength(1);
    expect(String(shown[0]?.content).endsWith(`\n${reply.content}`)).toBe(true);
    expect(ours(h as DiscordHarness, discord.general.id)).toHaveLength(0);
  });

  it('two replies streaming in one channel share its pace: about one edit a second there, not one per reply', async () => {
    const { discord, nova } = await start();
    const orion = await h?.createAgent('Orion', { join: [discord.general.id] });
    h?.gemini.enqueue(
      { text: words(14, 'first'), chunkDelayMs: 200 },
      { text: words(14, 'second'), chunkDelayMs: 200 },
    );
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova count`, mentions: [discord.bot] });
    discord.say({
      author: discord.ben,
      content: `<@${discord.bot.id}> Orion count`,
      mentions: [discord.bot],
    });
    await storedReply(h as DiscordHarness, nova);
    await storedReply(h as DiscordHarness, orion ?? { id: '' });

    expect(ours(h as DiscordHarness, discord.general.id)).toHaveLength(2);
    // Mid-stream edits (the final ones, which carry the buttons, are not held back).
    const streamed = discord.rest.edits().filter((e) => !('components' in (e.body ?? {})));
    expect(new Set(streamed.map((e) => e.path)).size).toBe(2);
    // One webhook, one edit bucket (5 per 5 s): discord.js kept to its headers, Discord never said 429.
    expect(discord.rest.unscripted429s).toBe(0);
    for (let i = 1; i < streamed.length; i++) {
      expect((streamed[i]?.at ?? 0) - (streamed[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    }
  });

  it('as the bot (no webhook), a long answer shows one message with its fence closed, then continues in a second with the fence intact', async () => {
    const { discord, nova } = await start();
    discord.rest.webhooksDenied.add(discord.random.id);
    const code = Array.from({ length: 90 }, (_, i) => `const value${i} = ${i}; // line ${i}\n`);
    const chunks = ['Here is the code:\n', '```ts\n', ...code, '```\n', 'That is all.'];
    const lines = code.length;
    h?.gemini.enqueue({ text: chunks, chunkDelayMs: Math.ceil(3000 / lines) });
    discord.say({
      author: discord.ana,
      channel: discord.random,
      content: `<@${discord.bot.id}> Nova code please`,
      mentions: [discord.bot],
    });
    const reply = await storedReply(h as DiscordHarness, nova);
    expect(reply.content.length).toBeGreaterThan(2000);

    const shownMidStream = [discord.rest.posts()[0], ...discord.rest.edits().slice(0, -1)];
    for (const call of shownMidStream) {
      expect(String(call?.body?.content).length).toBeLessThanOrEqual(2000);
      expect(fences(call?.body?.content) % 2, String(call?.body?.content)).toBe(0);
    }
    // One message while it streamed; the second part posted at delivery.
    const posts = discord.rest.posts();
    expect(posts).toHaveLength(2);
    const shown = ours(h as DiscordHarness, discord.random.id);
    expect(shown).toHaveLength(2);
    const expected = splitMessage(withAgentName('Nova', safeText(reply.content)));
    expect(shown.map((m) => m.content)).toEqual(expected);
    for (const message of shown) expect(fences(message.content) % 2).toBe(0);
    expect(String(shown[1]?.content)).toMatch(/^```ts\n/);
    expect(shown[0]?.components ?? []).toEqual([]);
    expect((shown[1]?.components ?? []) as unknown[]).toHaveLength(1);
  });

  it('a retry after the model failed mid-answer replaces the partial text in the same message', async () => {
    const { discord, nova } = await start();
    h?.gemini.enqueue(
      { text: words(8, 'broken'), chunkDelayMs: 150, breakAfterChunks: 4 },
      { text: words(5, 'answer'), chunkDelayMs: 50 },
    );
    discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova retry me`,
      mentions: [discord.bot],
    });
    const reply = await storedReply(h as DiscordHarness, nova);
    expect(h?.gemini.requests.length).toBe(2);
    expect(String(discord.rest.posts()[0]?.body?.content)).toContain('broken1');
    const shown = ours(h as DiscordHarness, discord.general.id);
    expect(shown).toHaveLength(1);
    expect(reply.content).toBe(words(5, 'answer').join(''));
    expect(String(shown[0]?.content).endsWith(`\n${reply.content}`)).toBe(true);
  });

  it('after the last failed attempt, FAILURE_MESSAGE replaces the partial text in the same message', async () => {
    const { discord, nova } = await start();
    const breaking = { text: words(8, 'partial'), chunkDelayMs: 100, breakAfterChunks: 3 };
    h?.gemini.enqueue(breaking, breaking, breaking);
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova fail`, mentions: [discord.bot] });
    const reply = await storedReply(h as DiscordHarness, nova, FAILURE);
    const shown = ours(h as DiscordHarness, discord.general.id);
    expect(shown).toHaveLength(1);
    expect(String(shown[0]?.content).endsWith(`\n${FAILURE}`)).toBe(true);
    expect(shown[0]?.id).toBe(reply.platformMessageId);
    expect(discord.rest.posts()).toHaveLength(1);
  });

  it('a 429 on an edit is waited out: the reply still ends in its one message', async () => {
    const { discord, nova } = await start();
    // Longer than the pace between edits (1 s): the wait shows in the gap before the repeat.
    discord.rest.failNext((r) => r.method === 'PATCH', rateLimited(1.5));
    h?.gemini.enqueue({ text: words(10, 'limited'), chunkDelayMs: 200 });
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova go`, mentions: [discord.bot] });
    const reply = await storedReply(h as DiscordHarness, nova);
    const limited = discord.rest.edits()[0];
    expect(limited).toBeDefined();
    // The refused edit went again (discord.js waited out retry_after), and later edits followed.
    const retried = discord.rest.edits().filter((e) => e.path === limited?.path);
    expect(retried.length).toBeGreaterThanOrEqual(2);
    expect(retried[1]?.body?.content).toBe(limited?.body?.content);
    expect((retried[1]?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(1400);
    const shown = ours(h as DiscordHarness, discord.general.id);
    expect(shown).toHaveLength(1);
    expect(String(shown[0]?.content).endsWith(`\n${reply.content}`)).toBe(true);
    expect(discord.rest.unscripted429s).toBe(0);
  });

  it('a started message deleted meanwhile: the reply is posted instead', async () => {
    const { discord, nova } = await start();
    h?.gemini.enqueue({ text: words(10, 'gone'), chunkDelayMs: 200 });
    discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova vanish`,
      mentions: [discord.bot],
    });
    await waitFor('the started message', () => discord.rest.posts().length === 1);
    const started = ours(h as DiscordHarness, discord.general.id)[0];
    discord.remove(started ?? {});
    const reply = await storedReply(h as DiscordHarness, nova);
    // Once Discord said Unknown Message, the stream stopped editing it (the final attempt aside).
    const refused = discord.rest.edits().filter((e) => e.path.endsWith(`/messages/${started?.id}`));
    expect(refused.filter((e) => !('components' in (e.body ?? {}))).length).toBeLessThanOrEqual(1);
    const shown = ours(h as DiscordHarness, discord.general.id);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.id).toBe(reply.platformMessageId);
    expect(String(shown[0]?.content).endsWith(`\n${reply.content}`)).toBe(true);
  });

  it('stream=off: the reply is posted once when done, never edited', async () => {
    const { discord, nova } = await start();
    await updateAgent(t.current.db, nova.id, { streamReplies: false }, { label: 'test' });
    await h?.pipeline.announceDirectoryChange();
    h?.gemini.enqueue({ text: words(6, 'quiet'), chunkDelayMs: 100 });
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova hush`, mentions: [discord.bot] });
    const reply = await storedReply(h as DiscordHarness, nova);
    expect(discord.rest.posts()).toHaveLength(1);
    expect(discord.rest.edits()).toHaveLength(0);
    expect(String(discord.rest.posts()[0]?.body?.content).endsWith(`\n${reply.content}`)).toBe(true);
    expect(h?.gemini.requests[0]?.stream).toBe(false);
  });
});
