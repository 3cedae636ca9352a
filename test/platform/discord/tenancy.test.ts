/**
 * DISCORD_ALLOWED_GUILDS with the real discord.js against the fake Discord: the bot leaves a guild
 * not on the list (at start, and when added to one), saying so; while it cannot leave one, that
 * guild's messages and commands get no answer and nothing is stored, and a member's DM does not
 * reach its agents.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MISSING_PERMISSIONS } from '../../fakes/discord-rest.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, startDiscordHarness, waitFor } from './harness.ts';

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

const linesWith = (h: DiscordHarness, ...parts: string[]) =>
  h.logs.filter((line) => parts.every((part) => line.includes(part)));

describe('discord DISCORD_ALLOWED_GUILDS', () => {
  it('leaves, at start, a guild it is in that is not on the list, and says so', async () => {
    h = await startDiscordHarness(t.current, { env: { DISCORD_ALLOWED_GUILDS: '1234567890' } });
    expect(h.discord.left).toEqual([h.discord.guild.id]);
    expect(
      linesWith(h, 'left the discord server Test Guild (at start)', 'DISCORD_ALLOWED_GUILDS'),
    ).toHaveLength(1);
  });

  it('leaves a guild it is added to that is not on the list; the listed guild is served as before', async () => {
    h = await startDiscordHarness(t.current, { env: (d) => ({ DISCORD_ALLOWED_GUILDS: d.guild.id }) });
    const { discord } = h;
    expect(discord.left).toEqual([]);
    const elsewhere = discord.joinGuild('Elsewhere', [discord.ana]);
    await waitFor('the bot to leave Elsewhere', () => discord.left.includes(elsewhere.id));
    await waitFor(
      'the log line',
      () => linesWith(h as DiscordHarness, 'left the discord server Elsewhere (added to it)').length === 1,
    );

    const aria = await h.createAgent('Aria', { join: [discord.general.id] });
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Aria hello`, mentions: [discord.bot] });
    await waitFor('the reply', () => h?.delivered(aria));
  });

  it('while it cannot leave a guild off the list: no answer there, nothing stored, DMs do not reach it', async () => {
    h = await startDiscordHarness(t.current, { env: (d) => ({ DISCORD_ALLOWED_GUILDS: d.guild.id }) });
    const { discord } = h;
    discord.rest.failNext(
      (r) => r.method === 'DELETE' && r.path.startsWith('/users/@me/guilds/'),
      MISSING_PERMISSIONS,
    );
    const stuck = discord.joinGuild('Stuck', [discord.ana]);
    await waitFor(
      'the failed leave',
      () => linesWith(h as DiscordHarness, 'could not leave the discord server Stuck').length === 1,
    );
    const nova = await h.createAgent('Nova', { workspace: stuck.id, join: [stuck.lobby.id] });
    const aria = await h.createAgent('Aria', { join: [discord.general.id] });

    const there = discord.say({
      channel: stuck.lobby,
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova hello`,
      mentions: [discord.bot],
    });
    const command = discord.interact({ channel: stuck.lobby, user: discord.ana, subcommand: 'list' });
    discord.say({
      channel: discord.dmWith(discord.ana),
      author: discord.ana,
      content: 'Nova, are you there?',
    });
    // The listed guild is answered: by then the messages before it were handled too.
    discord.say({ author: discord.ana, content: `<@${discord.bot.id}> Aria hello`, mentions: [discord.bot] });
    await waitFor('the reply in the listed guild', () => h?.delivered(aria));
    await waitFor('the DM to be taken', () => h?.outcomes.find((o) => o.message.isDirect));

    expect(discord.left).toEqual([]);
    expect(h.outcomeOf(there)).toBeUndefined();
    expect(await h.db.message.count({ where: { platformMessageId: String(there.id) } })).toBe(0);
    expect(await h.delivered(nova)).toBeNull();
    expect(discord.rest.interactionCallbacks.filter((c) => c.interactionId === command.id)).toEqual([]);
    expect(h.commands).toEqual([]);
    // The DM reaches the listed guild's agents only.
    expect(h.outcomes.find((o) => o.message.isDirect)?.message.dmWorkspaceIds).toEqual([discord.guild.id]);
    expect(linesWith(h, stuck.id, 'discord server ignored', 'not in DISCORD_ALLOWED_GUILDS')).toHaveLength(1);
  });
});
