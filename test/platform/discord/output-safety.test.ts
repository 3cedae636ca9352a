/**
 * Output safety as a Discord user sees it, through the real discord.js client against the fake
 * gateway and REST: every post (webhook and bot) suppresses embeds, masked links show their
 * address, a huge answer is MAX_REPLY_PARTS messages, and a stranger's mention is plain text.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, type HarnessOptions, startDiscordHarness, waitFor } from './harness.ts';

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(options: HarnessOptions = {}) {
  h = await startDiscordHarness(t.current, options);
  return h;
}

const SUPPRESS_EMBEDS = 4;
const STRANGER = '999999999999999999';

describe('discord output safety', () => {
  it('a webhook reply: embeds suppressed, a masked link shows its address, a stranger is not mentioned', async () => {
    const h = await harness();
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });
    h.gemini.enqueue({
      text: `See [the docs](https://evil.example/x), <@${discord.ana.id}>; ask <@${STRANGER}>.`,
    });
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova docs?`, mentions: [discord.bot] });
    await waitFor('the reply', () => discord.rest.posts().length === 1);
    const body = discord.rest.posts()[0]?.body;
    expect(body?.flags).toBe(SUPPRESS_EMBEDS);
    expect(String(body?.content).split('\n')[1]).toBe(
      `See the docs (https://evil.example/x), <@${discord.ana.id}>; ask @\u2060${STRANGER}.`,
    );
  });

  it('bot posts suppress embeds too, and a huge answer is MAX_REPLY_PARTS messages, the last marked truncated', async () => {
    const h = await harness({ env: { MAX_REPLY_PARTS: '2' } });
    const { discord } = h;
    discord.rest.webhooksDenied.add(discord.general.id);
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    h.gemini.enqueue({ text: 'A very long answer indeed. '.repeat(4000) });
    discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova tell all`,
      mentions: [discord.bot],
    });
    await waitFor('delivered', () => h?.delivered(nova));
    const posts = discord.rest.posts();
    expect(posts).toHaveLength(2);
    for (const post of posts) {
      expect(post.path).toBe(`/channels/${discord.general.id}/messages`);
      expect(post.body?.flags).toBe(SUPPRESS_EMBEDS);
      expect(String(post.body?.content).length).toBeLessThanOrEqual(2000);
    }
    expect(String(posts[1]?.body?.content).endsWith('…(truncated)')).toBe(true);
  });
});
