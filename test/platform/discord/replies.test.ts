/**
 * Replies on Discord end to end: a person mentions an agent, the real discord.js client receives
 * it from the fake gateway, the pipeline answers with the fake Gemini, the adapter posts it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { feedbackButtons } from '../../../src/adapters/discord/outbound.ts';
import { MISSING_PERMISSIONS, rateLimited } from '../../fakes/discord-rest.ts';
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

const NO_PINGS = { parse: [], replied_user: false };

describe('discord replies', () => {
  it('@bot Nova …: typing, then one webhook reply under Nova’s name that links the message and pings nobody', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', {
      join: [discord.general.id],
      avatarUrl: 'https://img.test/nova.png',
    });
    h.gemini.enqueue({ text: 'Hello Ana!', delayMs: 200 });

    const asked = discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova how are you?`,
      mentions: [discord.bot],
    });
    await waitFor('the reply', () => discord.rest.posts().length === 1);
    await waitFor('the delivery recorded', () => h.delivered(nova));

    const typing = discord.rest.requests.items.findIndex(
      (r) => r.path === `/channels/${discord.general.id}/typing`,
    );
    const [firstPost] = discord.rest.posts();
    const post = firstPost ? discord.rest.requests.items.indexOf(firstPost) : -1;
    expect(typing).toBeGreaterThanOrEqual(0);
    expect(typing).toBeLessThan(post);

    const [reply] = discord.rest.posts();
    const webhook = [...discord.rest.webhooks.values()][0];
    expect(reply?.path).toBe(`/webhooks/${webhook?.id}/${webhook?.token}`);
    expect(reply?.query).toEqual({ wait: 'true' });
    expect(reply?.body).toEqual({
      content: `↪ https://discord.com/channels/${discord.guild.id}/${discord.general.id}/${asked.id}\nHello Ana!`,
      username: 'Nova',
      avatar_url: 'https://img.test/nova.png',
      allowed_mentions: NO_PINGS,
      flags: 4, // SUPPRESS_EMBEDS: no link previews
      components: feedbackButtons(
        `reply-${(await h.db.message.findFirstOrThrow({ where: { agentId: nova.id } })).id}`,
      ),
    });
    expect(webhook).toMatchObject({ name: 'agent-bridge', channelId: discord.general.id });

    // The echo of our own post is recognised and dropped; the stored reply has the posted id.
    const stored = await h.db.message.findFirstOrThrow({ where: { agentId: nova.id } });
    const echoed = [...discord.rest.messages.values()].find((m) => m.webhook_id === webhook?.id);
    expect(stored.platformMessageId).toBe(echoed?.id);
    await waitFor('the echo judged', () => h?.outcomeOf({ id: echoed?.id }));
    expect(h.outcomeOf({ id: echoed?.id })).toEqual({ status: 'own_message' });
    const inGuild = { conversation: { workspace: { externalId: discord.guild.id } } };
    expect(await h.db.message.count({ where: inGuild })).toBe(2);
  });

  it('reuses the channel webhook, finds our existing one after a restart, and replies in a thread through it', async () => {
    const h = await harness();
    const { discord } = h;
    const existing = discord.rest.addWebhook(discord.general, discord.bot);
    discord.rest.addWebhook(discord.general, discord.ana, 'agent-bridge');
    await h.createAgent('Nova', { join: [discord.general.id] });

    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova one`, mentions: [discord.bot] });
    await waitFor('first reply', () => discord.rest.posts().length === 1);
    const inThread = discord.say({
      channel: discord.thread,
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova two`,
      mentions: [discord.bot],
    });
    await waitFor('second reply', () => discord.rest.posts().length === 2);

    const [first, second] = discord.rest.posts();
    expect(first?.path).toBe(`/webhooks/${existing.id}/${existing.token}`);
    expect(second?.path).toBe(`/webhooks/${existing.id}/${existing.token}`);
    expect(second?.query).toEqual({ wait: 'true', thread_id: discord.thread.id });
    expect(String(second?.body?.content)).toMatch(
      new RegExp(`^↪ https://discord.com/channels/${discord.guild.id}/${discord.thread.id}/${inThread.id}\n`),
    );
    expect(discord.rest.requests.items.filter((r) => r.path.endsWith('/webhooks'))).toHaveLength(1);
    expect(discord.rest.webhooks.size).toBe(2);
    expect(discord.rest.requests.items.some((r) => r.path === `/channels/${discord.thread.id}/typing`)).toBe(
      true,
    );
  });

  it('without Manage Webhooks: a bot post with the name in bold, a native reply, a nonce, no pings', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.webhooksDenied.add(discord.general.id);
    await h.createAgent('Nova', { join: [discord.general.id] });
    h.gemini.enqueue({ text: 'Sure thing.' });

    const asked = discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova hi`,
      mentions: [discord.bot],
    });
    await waitFor('the reply', () => discord.rest.posts().length === 1);
    const [reply] = discord.rest.posts();
    expect(reply?.path).toBe(`/channels/${discord.general.id}/messages`);
    expect(reply?.body).toMatchObject({
      content: '**Nova:** Sure thing.',
      allowed_mentions: NO_PINGS,
      enforce_nonce: true,
      message_reference: { message_id: asked.id, fail_if_not_exists: false },
    });
    expect(String(reply?.body?.nonce)).toMatch(/^[\w-]{25}$/);
    expect(h.logs.some((l) => l.includes('Manage Webhooks'))).toBe(true);

    // A second reply there does not ask for a webhook again.
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova again`, mentions: [discord.bot] });
    await waitFor('second reply', () => discord.rest.posts().length === 2);
    expect(discord.rest.requests.items.filter((r) => r.path.endsWith('/webhooks'))).toHaveLength(1);
  });

  it('a webhook refused on the first post (permission revoked since): the reply goes out as the bot', async () => {
    const h = await harness();
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });
    discord.rest.failNext((r) => r.path.startsWith('/webhooks/') && r.method === 'POST', MISSING_PERMISSIONS);
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova hi`, mentions: [discord.bot] });
    await waitFor('the bot post', () =>
      discord.rest.requests.items.find((r) => r.path === `/channels/${discord.general.id}/messages`),
    );
    expect(discord.rest.posts().map((p) => p.path.split('/')[1])).toEqual(['webhooks', 'channels']);
  });

  it('a long reply with code fences: chunks of at most 2000 characters, each fence closed and reopened', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    const code = Array.from({ length: 120 }, (_, i) => `const value${i} = compute(${i}); // line ${i}`).join(
      '\n',
    );
    const text = `Here is the code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is all.`;
    h.gemini.enqueue({ text });

    discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova code please`,
      mentions: [discord.bot],
    });
    await waitFor('the chunks', () => discord.rest.posts().length >= 3 && discord.rest.posts().at(-1));
    await waitFor('delivered', () => h?.delivered(nova));
    const contents = discord.rest.posts().map((p) => String(p.body?.content));
    for (const content of contents) {
      expect(content.length).toBeLessThanOrEqual(2000);
      expect(content.match(/^```/gmu)?.length ?? 0).toSatisfy((n: number) => n % 2 === 0);
    }
    expect(contents[0]).toMatch(/^↪ https:\/\/discord\.com\/channels\//u);
    expect(contents.slice(1).every((c) => c.startsWith('```ts\n'))).toBe(true);
    const rejoined = contents
      .map((c, i) => (i === 0 ? c.slice(c.indexOf('\n') + 1) : c))
      .join('\n')
      .replace(/\n```\n```ts\n/gu, '\n');
    expect(rejoined).toBe(text);
    expect(
      discord.rest
        .posts()
        .every((p) => JSON.stringify(p.body?.allowed_mentions) === JSON.stringify(NO_PINGS)),
    ).toBe(true);
  });

  it('a ping-filled reply: @everyone and @here neutralized, role and user mentions cannot ping', async () => {
    const h = await harness();
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });
    h.gemini.enqueue({ text: `@everyone look! @here too, <@&${discord.guild.id}> and <@${discord.ana.id}>` });
    discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova ping them`,
      mentions: [discord.bot],
    });
    await waitFor('the reply', () => discord.rest.posts().length === 1);
    const body = discord.rest.posts()[0]?.body;
    expect(body?.allowed_mentions).toEqual(NO_PINGS);
    expect(String(body?.content)).toContain('@\u200beveryone look! @\u200bhere too');
    expect(String(body?.content)).not.toMatch(/@(everyone|here)/u);
  });

  it('typing is refreshed while the model works and stops with the reply; a 429 on the post is waited out', async () => {
    const h = await harness({ adapter: { typingRefreshMs: 100 } });
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });
    h.gemini.enqueue({ text: 'Done thinking.', delayMs: 700 });
    discord.rest.failNext((r) => r.path.startsWith('/webhooks/') && r.method === 'POST', rateLimited(0.1));
    const typings = () => discord.rest.requests.items.filter((r) => r.path.endsWith('/typing')).length;

    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova think`, mentions: [discord.bot] });
    await waitFor('typing refreshed', () => typings() >= 3);
    await waitFor('a heartbeat acknowledged', () => discord.gateway.heartbeats > 0);
    await waitFor('the reply', () => discord.rest.posts().length === 2);
    await waitFor('typing stopped', () => h?.pipeline.typing.active().length === 0);
    const after = typings();
    // Posts: the 429 and its retry; one message on Discord.
    expect([...discord.rest.messages.values()].filter((m) => m.webhook_id)).toHaveLength(1);
    // Two gateway heartbeats (500 ms apart) span several refresh periods (100 ms): none came.
    const beats = discord.gateway.heartbeats;
    await waitFor('two more heartbeats', () => discord.gateway.heartbeats >= beats + 2);
    expect(typings()).toBe(after);
  });

  it('a bot post whose response is lost is retried with the same nonce: one message on Discord', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.webhooksDenied.add(discord.general.id);
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    const isPost = (r: { method: string; path: string }) =>
      r.method === 'POST' && r.path === `/channels/${discord.general.id}/messages`;
    discord.rest.failNext(isPost, {
      status: 502,
      body: { message: 'Bad Gateway', code: 0 },
      afterHandling: true,
    });
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova hi`, mentions: [discord.bot] });
    await waitFor('delivered', () => h?.delivered(nova));
    const posts = discord.rest.posts();
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(posts.map((p) => p.body?.nonce)).size).toBe(1);
    const onDiscord = [...discord.rest.messages.values()].filter(
      (m) => (m.author as { id: string }).id === discord.bot.id,
    );
    expect(onDiscord).toHaveLength(1);
    const stored = await h.delivered(nova);
    expect(stored?.platformMessageId).toBe(onDiscord[0]?.id);
  });

  it('the bot mentioned where no agent joined: a notice from the bot itself, as a native reply', async () => {
    const h = await harness();
    const { discord } = h;
    const asked = discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> anyone?`,
      mentions: [discord.bot],
    });
    await waitFor('the notice', () => discord.rest.posts().length === 1);
    const [notice] = discord.rest.posts();
    expect(notice?.path).toBe(`/channels/${discord.general.id}/messages`);
    expect(notice?.body).toMatchObject({
      allowed_mentions: NO_PINGS,
      message_reference: { message_id: asked.id },
      enforce_nonce: true,
    });
    expect(String(notice?.body?.content)).not.toMatch(/^\*\*/u);
    expect(discord.rest.requests.items.some((r) => r.path.includes('webhooks'))).toBe(false);
  });
});
