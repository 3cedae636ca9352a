/**
 * Discord DMs have no guild: a DM reaches the agents of the guilds its author shares with the bot,
 * found by asking Discord about their membership (GET /guilds/:id/members/:user), once in a while.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DmGuilds } from '../../../src/adapters/discord/dm-guilds.ts';
import { runAgentCommand } from '../../../src/commands/handlers.ts';
import type { Json } from '../../fakes/discord-payloads.ts';
import type { DiscordRequest } from '../../fakes/discord-rest.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { testLogger } from '../../support/test-log.ts';
import { type DiscordHarness, startDiscordHarness, waitFor } from './harness.ts';

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The harness with the real `/agent` command core behind the interactions. */
async function harness() {
  const db = t.current.db;
  const config = {
    admins: [],
    agentCreation: 'anyone' as const,
    defaultModel: 'google:gemini-2.5-flash',
    agentMaxConcurrent: 4,
    allowedModels: ['google:*'],
    maxAgentsPerWorkspace: 50,
  };
  h = await startDiscordHarness(t.current, {
    onCommand: (context, command) => runAgentCommand({ db, config }, context, command),
  });
  return h;
}

/** Runs `/agent <subcommand>` and resolves to the embed (or autocomplete data) it was answered with. */
async function interact(h: DiscordHarness, spec: Parameters<DiscordHarness['discord']['interact']>[0]) {
  const sent = h.discord.interact(spec);
  const callback = await waitFor('the answer', () =>
    h.discord.rest.interactionCallbacks.find((c) => c.interactionId === sent.id),
  );
  const data = callback.body.data as { embeds?: Json[]; choices?: Json[] };
  return { embed: data.embeds?.[0], choices: data.choices };
}

function memberLookups(h: DiscordHarness, userId: string): DiscordRequest[] {
  return h.discord.rest.requests.items.filter(
    (r) => r.method === 'GET' && r.path === `/guilds/${h.discord.guild.id}/members/${userId}`,
  );
}

describe('discord DMs reach the agents of shared guilds', () => {
  it('an agent created in the guild answers a member’s DM; use and list in the DM look across the guild', async () => {
    const h = await harness();
    const { discord } = h;
    const created = await interact(h, {
      channel: discord.general,
      user: discord.ana,
      subcommand: 'create',
      options: { name: 'Nova', role: 'Astronomer' },
    });
    expect(created.embed?.description).toMatch(/^Created Nova/);
    const dm = discord.dmWith(discord.ana);

    const listed = await interact(h, { channel: dm, user: discord.ana, subcommand: 'list' });
    expect(listed.embed).toMatchObject({
      description: '1 agent in the servers you share with the bot.',
      fields: [{ name: 'Nova', value: 'Astronomer\nactive · default (google:gemini-2.5-flash)' }],
    });
    const used = await interact(h, {
      channel: dm,
      user: discord.ana,
      subcommand: 'use',
      options: { name: 'nova' },
    });
    expect(used.embed?.description).toBe('Nova answers in this DM now.');
    const refused = await interact(h, {
      channel: dm,
      user: discord.ana,
      subcommand: 'create',
      options: { name: 'Vega' },
    });
    expect(refused.embed).toMatchObject({
      description: 'Create agents in a server channel, so its members can use them.',
      color: 0xed4245,
    });
    const inDm = h.commands.filter((c) => c.context.isDirect).map((c) => c.context);
    expect(inDm).toHaveLength(3);
    for (const context of inDm) {
      expect(context).toMatchObject({
        workspaceExternalId: '@dm',
        dmWorkspaceExternalIds: [discord.guild.id],
        dmWorkspaceNames: { [discord.guild.id]: 'Test Guild' },
      });
    }

    h.gemini.enqueue({ text: 'Hi from Nova.' });
    const said = discord.say({ channel: dm, author: discord.ana, content: 'hello' });
    await waitFor('the DM recorded', () => h.outcomeOf(said));
    expect(h.outcomes.find((o) => o.message.platformMessageId === said.id)?.message).toMatchObject({
      workspaceId: '@dm',
      channelId: dm.id,
      isDirect: true,
      dmWorkspaceIds: [discord.guild.id],
    });
    await waitFor('the reply', () => discord.rest.posts().length === 1);
    expect(discord.rest.posts()[0]).toMatchObject({
      path: `/channels/${dm.id}/messages`,
      body: { content: '**Nova:** Hi from Nova.' },
    });

    // Our own post comes back as a DM message too: it needs no membership check.
    const echo = [...discord.rest.messages.values()].find((m) => m.channel_id === dm.id && m.id !== said.id);
    await waitFor('the echo judged', () => h.outcomeOf({ id: echo?.id }));
    const echoed = h.outcomes.find((o) => o.message.platformMessageId === echo?.id)?.message;
    expect(echoed?.dmWorkspaceIds).toBeUndefined();
    // Three commands and a message: Discord was asked once, the answer kept for the rest.
    expect(memberLookups(h, discord.ana.id)).toHaveLength(1);
    expect(memberLookups(h, discord.bot.id)).toHaveLength(0);
  });

  it('someone who shares no guild with the bot: no guild ids, no agents of the guild offered', async () => {
    const h = await harness();
    const { discord } = h;
    await h.createAgent('Nova');
    const dm = discord.dmWith(discord.stranger);
    const said = discord.say({ channel: dm, author: discord.stranger, content: 'hello?' });
    await waitFor('the DM recorded', () => h.outcomeOf(said));
    expect(h.outcomes[0]?.message).toMatchObject({ workspaceId: '@dm', isDirect: true, dmWorkspaceIds: [] });
    expect(h.outcomeOf(said)).not.toMatchObject({ status: 'scheduled' });

    const strangerChoices = await interact(h, {
      channel: dm,
      user: discord.stranger,
      subcommand: 'use',
      options: { name: 'n' },
      focused: 'name',
    });
    expect(strangerChoices.choices).toEqual([]);
    const anaChoices = await interact(h, {
      channel: discord.dmWith(discord.ana),
      user: discord.ana,
      subcommand: 'use',
      options: { name: 'n' },
      focused: 'name',
    });
    expect(anaChoices.choices).toEqual([{ name: 'Nova', value: 'Nova' }]);

    const used = await interact(h, {
      channel: dm,
      user: discord.stranger,
      subcommand: 'use',
      options: { name: 'Nova' },
    });
    expect(used.embed?.description).toBe(
      'No agent named Nova: you share no server with the bot yet. Agents live in servers: create one in a server channel with /agent create name:Nova role:…',
    );
  });

  it('a membership check that fails never drops the DM: logged, and asked again next time', async () => {
    const h = await harness();
    const { discord } = h;
    discord.rest.failNext((r) => r.path === `/guilds/${discord.guild.id}/members/${discord.ana.id}`, {
      status: 403,
      body: { message: 'Missing Access', code: 50001 },
    });
    const dm = discord.dmWith(discord.ana);
    const first = discord.say({ channel: dm, author: discord.ana, content: 'one' });
    await waitFor('the first DM recorded', () => h.outcomeOf(first));
    const second = discord.say({ channel: dm, author: discord.ana, content: 'two' });
    await waitFor('the second DM recorded', () => h.outcomeOf(second));
    const fromAna = h.outcomes.filter((o) => o.message.author.id === discord.ana.id);
    const shared = fromAna.map((o) => o.message.dmWorkspaceIds);
    expect(shared).toEqual([[], [discord.guild.id]]);
    expect(memberLookups(h, discord.ana.id)).toHaveLength(2);
    expect(h.logs.filter((line) => line.includes('could not check which discord servers'))).toHaveLength(1);
  });

  it('answers are kept per user for ten minutes, for a bounded number of users', async () => {
    const h = await harness();
    const { discord } = h;
    let now = 0;
    const logger = testLogger();
    const guilds = new DmGuilds({ client: h.adapter.client, logger, capacity: 2, now: () => now });
    const lookups = () => h.discord.rest.requests.items.filter((r) => r.path.includes('/members/')).length;

    expect(await guilds.of(discord.ana.id)).toEqual([{ id: discord.guild.id, name: 'Test Guild' }]);
    now = 10 * 60_000 - 1;
    await guilds.of(discord.ana.id);
    expect(lookups()).toBe(1);
    now = 10 * 60_000;
    await guilds.of(discord.ana.id);
    expect(lookups()).toBe(2);

    expect(await guilds.of(discord.stranger.id)).toEqual([]);
    await guilds.of(discord.ben.id);
    // Ana's answer was the oldest of three kept for two users.
    await guilds.of(discord.ana.id);
    expect(lookups()).toBe(5);
    await guilds.of(discord.ben.id);
    expect(lookups()).toBe(5);
  });
});
