/**
 * What reaches the orchestrator from Discord, and what it makes of it: duplicates, our own echoes,
 * other bots and webhooks, threads, replies to an agent's post, DMs, edits and deletions.
 */
import type { TextChannel } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, startDiscordHarness, waitFor } from './harness.ts';

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness() {
  h = await startDiscordHarness(t.current);
  return h;
}

describe('discord inbound', () => {
  it('a duplicated dispatch is processed once, also when discord.js no longer has it cached', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    const message = discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova hi`,
      mentions: [discord.bot],
    });
    discord.redeliver(message);
    await waitFor('the first outcome', () => h?.outcomeOf(message));
    const channel = h.adapter.client.channels.cache.get(discord.general.id) as TextChannel;
    channel.messages.cache.clear();
    discord.redeliver(message);
    await waitFor(
      'both outcomes',
      () => h?.outcomes.filter((o) => o.message.platformMessageId === message.id).length === 2,
    );
    await waitFor('the reply', () => discord.rest.posts().length === 1);

    const outcomes = h.outcomes
      .filter((o) => o.message.platformMessageId === message.id)
      .map((o) => o.outcome.status);
    expect(outcomes).toEqual(['scheduled', 'duplicate']);
    expect(await h.db.message.count({ where: { platformMessageId: String(message.id) } })).toBe(1);
    await waitFor('delivered', () => h?.delivered(nova));
    expect(discord.rest.posts()).toHaveLength(1);
  });

  it('a dropped connection: discord.js resumes and a message sent meanwhile is not lost', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    discord.gateway.dropConnections();
    const during = discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova still there?`,
      mentions: [discord.bot],
    });
    await waitFor('the resume', () => discord.gateway.resumes === 1);
    await waitFor('the message judged', () => h?.outcomeOf(during));
    await waitFor('the reply', () => h?.delivered(nova));
    expect(discord.gateway.identifies).toHaveLength(1);
  });

  it('the message as the orchestrator gets it: author, mentions, location; a thread is its own conversation', async () => {
    const h = await harness();
    const { discord } = h;
    // Chatter is stored only where an agent listens; the thread follows its channel.
    await h.createAgent('Nova', { join: [discord.general.id] });
    const said = discord.say({
      channel: discord.thread,
      author: discord.ana,
      content: 'just chatting',
      mentions: [discord.ben],
    });
    await waitFor('the outcome', () => h?.outcomeOf(said));
    const [{ message, outcome }] = h.outcomes as [DiscordHarness['outcomes'][number]];
    expect(message).toMatchObject({
      platform: 'discord',
      workspaceId: discord.guild.id,
      channelId: discord.general.id,
      threadId: discord.thread.id,
      isDirect: false,
      author: { id: discord.ana.id, displayName: 'Ana', isBot: false },
      text: 'just chatting',
      mentionedUserIds: [discord.ben.id],
      platformMessageId: said.id,
    });
    expect(outcome).toMatchObject({ status: 'stored', reason: 'not_addressed' });
    const conversation = await h.db.conversation.findFirstOrThrow({ where: { threadId: discord.thread.id } });
    expect(conversation).toMatchObject({ channelId: discord.general.id, kind: 'thread' });
  });

  it('another bot addressing an agent gets one answer; its next turn hits the loop limit; a person resets it', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    const ping = (n: number) =>
      discord.say({
        author: discord.otherBot,
        content: `<@${discord.bot.id}> Nova, ping ${n}`,
        mentions: [discord.bot],
      });
    const bare = discord.say({
      author: discord.otherBot,
      content: `<@${discord.bot.id}> hello`,
      mentions: [discord.bot],
    });
    await waitFor('bare mention judged', () => h?.outcomeOf(bare));
    expect(h.outcomeOf(bare)).toMatchObject({ status: 'stored', reason: 'bot_not_addressing' });

    const first = ping(1);
    await waitFor('the answer', () => discord.rest.posts().length === 1);
    await waitFor('delivered', () => h?.delivered(nova));
    expect(h.outcomeOf(first)).toMatchObject({ status: 'scheduled' });
    const second = ping(2);
    await waitFor('second judged', () => h?.outcomeOf(second));
    expect(h.outcomeOf(second)).toMatchObject({ status: 'stored', reason: 'loop_limit' });

    discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova, are you there?`,
      mentions: [discord.bot],
    });
    await waitFor('the answer to a person', () => discord.rest.posts().length === 2);
  });

  it('a reply to an agent’s post addresses that agent, also for posts from before a restart', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    const orion = await h.createAgent('Orion', { join: [discord.general.id] });
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Nova hi`, mentions: [discord.bot] });
    await waitFor('the answer', () => discord.rest.posts().length === 1);
    const answer = [...discord.rest.messages.values()].find((m) => m.webhook_id);
    const follow = discord.say({
      author: discord.ana,
      content: 'and why?',
      replyTo: { id: String(answer?.id), message: answer },
    });
    await waitFor('the follow-up judged', () => h?.outcomeOf(follow));
    expect(h.outcomes.find((o) => o.message.platformMessageId === follow.id)?.message.repliedToAgentId).toBe(
      nova.id,
    );
    expect(h.outcomeOf(follow)).toMatchObject({ status: 'scheduled', agentId: nova.id });

    // Posts this process never made: read the agent off the webhook name / the bold bot prefix.
    const hook = discord.rest.addWebhook(discord.random, discord.bot);
    const old = discord.say({
      channel: discord.random,
      author: { id: hook.id, username: 'Orion', bot: true },
      webhookId: hook.id,
      content: 'an old answer',
    });
    const oldBot = discord.say({
      channel: discord.random,
      author: discord.bot,
      content: '**Orion:** older still',
    });
    await waitFor('old posts judged', () => h?.outcomeOf(old) && h.outcomeOf(oldBot));
    expect(h.outcomeOf(old)).toEqual({ status: 'own_message' });
    expect(h.outcomeOf(oldBot)).toEqual({ status: 'own_message' });
    for (const target of [old, oldBot]) {
      const reply = discord.say({
        channel: discord.random,
        author: discord.ana,
        content: 'really?',
        replyTo: { id: String(target.id), message: target },
      });
      await waitFor('judged', () => h?.outcomeOf(reply));
      const inbound = h.outcomes.find((o) => o.message.platformMessageId === reply.id)?.message;
      expect(inbound?.repliedToAgentId).toBe(orion.id);
    }
  });

  it('someone else’s webhook is not ours: stored as a bot message, not dropped as an echo', async () => {
    const h = await harness();
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });
    const hook = discord.rest.addWebhook(discord.general, discord.ana, 'GitHub');
    const said = discord.say({
      author: { id: hook.id, username: 'GitHub', bot: true },
      webhookId: hook.id,
      content: 'PR merged',
    });
    await waitFor('judged', () => h?.outcomeOf(said));
    expect(h.outcomeOf(said)).toMatchObject({ status: 'stored', reason: 'bot_not_addressing' });
    const inbound = h.outcomes[0]?.message;
    expect(inbound?.author).toMatchObject({ isBot: true, isWebhook: true });
    expect(inbound?.author.agentId).toBeUndefined();
  });

  it('a DM is answered by the DM’s agent, from the bot, with the name in bold and a native reply', async () => {
    const h = await harness();
    const { discord } = h;
    await h.createAgent('Vega', { workspace: '@dm' });
    h.gemini.enqueue({ text: 'Hi there.' });
    const dm = discord.dmWith(discord.ana);
    const said = discord.say({ channel: dm, author: discord.ana, content: 'hello' });
    await waitFor('the reply', () => discord.rest.posts().length === 1);
    const [reply] = discord.rest.posts();
    expect(reply?.path).toBe(`/channels/${dm.id}/messages`);
    expect(reply?.body).toMatchObject({
      content: '**Vega:** Hi there.',
      message_reference: { message_id: said.id, fail_if_not_exists: false },
      allowed_mentions: { parse: [] },
      enforce_nonce: true,
    });
    expect(discord.rest.requests.items.some((r) => r.path.includes('/webhooks'))).toBe(false);
    expect(discord.rest.requests.items.some((r) => r.path === `/channels/${dm.id}/typing`)).toBe(true);
    expect(h.outcomes[0]?.message).toMatchObject({ workspaceId: '@dm', channelId: dm.id, isDirect: true });
    const echo = [...discord.rest.messages.values()].find(
      (m) => m.channel_id === dm.id && m.author && m.id !== said.id,
    );
    await waitFor('echo judged', () => h?.outcomeOf({ id: echo?.id }));
    expect(h.outcomeOf({ id: echo?.id })).toEqual({ status: 'own_message' });
  });

  it('edits and deletions follow the stored message, also when discord.js has not cached it', async () => {
    const h = await harness();
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });
    const said = discord.say({ author: discord.ana, content: 'first version' });
    const inThread = discord.say({ channel: discord.thread, author: discord.ana, content: 'thread text' });
    await waitFor('stored', () => h?.outcomeOf(said) && h.outcomeOf(inThread));
    (h.adapter.client.channels.cache.get(discord.general.id) as TextChannel).messages.cache.clear();

    discord.edit(said, 'second version');
    discord.edit(inThread, 'thread text, edited');
    const stored = (message: { id?: unknown }) =>
      h?.db.message.findFirst({ where: { platformMessageId: String(message.id) } });
    await waitFor('the edit', async () => (await stored(said))?.content === 'second version');
    await waitFor('the thread edit', async () => (await stored(inThread))?.content === 'thread text, edited');
    expect((await stored(said))?.editedAt).not.toBeNull();

    discord.remove(said);
    await waitFor('the deletion', async () => (await stored(said))?.isActive === false);
    expect((await stored(inThread))?.isActive).toBe(true);

    const more = [
      discord.say({ author: discord.ana, content: 'a' }),
      discord.say({ author: discord.ana, content: 'b' }),
    ];
    await waitFor('stored', () => more.every((m) => h?.outcomeOf(m)));
    discord.gateway.dispatch('MESSAGE_DELETE_BULK', {
      ids: more.map((m) => m.id),
      channel_id: discord.general.id,
      guild_id: discord.guild.id,
    });
    await waitFor('the bulk deletion', async () => {
      const rows = await Promise.all(more.map(stored));
      return rows.every((row) => row?.isActive === false);
    });
  });
});
