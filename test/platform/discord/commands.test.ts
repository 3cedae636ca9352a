/**
 * `/agent` on Discord (registration, typed options, ephemeral embeds, autocomplete, deferral, the
 * Manage Server admin flag) and the start-up failures a person must fix (intent, token).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  agentSlashCommand,
  discordInviteUrl,
  registerCommands,
} from '../../../src/adapters/discord/index.ts';
import type { CommandReply } from '../../../src/commands/command.ts';
import { startFakeDiscord } from '../../fakes/discord-server.ts';
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

const MANAGE_GUILD = '32';
const EPHEMERAL = 64;

describe('/agent on discord', () => {
  it('is registered in DISCORD_GUILD_ID at start, with a subcommand per verb and typed options', async () => {
    const h = await harness();
    // Guilds, GuildMessages, DirectMessages, MessageContent.
    expect(h.discord.gateway.identifies.map((i) => i.intents)).toEqual([1 | 512 | 4096 | 32768]);
    const [registration] = h.discord.rest.registrations;
    expect(registration?.path).toBe(
      `/applications/${h.discord.applicationId}/guilds/${h.discord.guild.id}/commands`,
    );
    expect(registration?.body).toEqual([agentSlashCommand()]);
    const command = agentSlashCommand();
    const subcommands = command.options ?? [];
    expect(subcommands.map((s) => s.name)).toEqual([
      'create',
      'list',
      'show',
      'edit',
      'delete',
      'join',
      'leave',
      'pause',
      'resume',
      'use',
      'workspace',
      'help',
      'provider',
    ]);
    const options = (verb: string) =>
      (subcommands.find((s) => s.name === verb) as { options?: Array<Record<string, unknown>> }).options ??
      [];
    expect(options('create').map((o) => o.name)).toEqual([
      'name',
      'role',
      'goal',
      'backstory',
      'prompt',
      'model',
      'avatar',
      'loading',
      'stream',
    ]);
    expect(options('create')[0]).toMatchObject({
      name: 'name',
      type: 3,
      required: true,
      autocomplete: false,
    });
    expect(options('show')).toEqual([
      expect.objectContaining({ name: 'name', required: true, autocomplete: true }),
    ]);
    expect(options('list')).toEqual([]);
    // Budgets: edit takes them after the fields; workspace takes only them (admins, checked on use).
    const budgetKeys = [
      'budget_daily_tokens',
      'budget_monthly_tokens',
      'budget_daily_usd',
      'budget_monthly_usd',
    ];
    expect(
      options('edit')
        .map((o) => o.name)
        .slice(-4),
    ).toEqual(budgetKeys);
    expect(options('workspace').map((o) => o.name)).toEqual(budgetKeys);
  });

  it('/agent list answers with an ephemeral embed; context and admin flag come from the interaction', async () => {
    const h = await harness();
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });
    const interaction = discord.interact({
      channel: discord.thread,
      user: discord.ana,
      permissions: MANAGE_GUILD,
      subcommand: 'list',
    });
    await waitFor('the answer', () => discord.rest.interactionCallbacks.length === 1);
    const [callback] = discord.rest.interactionCallbacks;
    expect(callback).toMatchObject({ interactionId: interaction.id, token: interaction.token });
    expect(callback?.body).toMatchObject({
      type: 4,
      data: {
        flags: EPHEMERAL,
        allowed_mentions: { parse: [] },
        embeds: [
          {
            title: 'Agents',
            description: '1 agent(s) here.',
            fields: [{ name: 'Nova', value: 'helper\nactive · google:gemini-2.5-flash', inline: false }],
          },
        ],
      },
    });
    expect(h.commands[0]).toEqual({
      command: { verb: 'list' },
      context: {
        platform: 'discord',
        workspaceExternalId: discord.guild.id,
        workspaceName: 'Test Guild',
        // Typed in a thread: join/leave act on its channel.
        channelId: discord.general.id,
        isDirect: false,
        actor: {
          platformUserId: discord.ana.id,
          displayName: 'Ana',
          isPlatformAdmin: true,
          managesChannel: false,
        },
      },
    });

    discord.interact({
      channel: discord.general,
      user: discord.ben,
      permissions: '2048',
      subcommand: 'help',
    });
    await waitFor('the second answer', () => discord.rest.interactionCallbacks.length === 2);
    expect(h.commands[1]?.context.actor).toEqual({
      platformUserId: discord.ben.id,
      displayName: 'Ben',
      isPlatformAdmin: false,
      managesChannel: false,
    });

    // Manage Channels (in this channel, overwrites included: Discord computes it) counts for join/leave.
    discord.interact({ channel: discord.general, user: discord.ben, permissions: '16', subcommand: 'help' });
    await waitFor('the third answer', () => discord.rest.interactionCallbacks.length === 3);
    expect(h.commands[2]?.context.actor).toMatchObject({ isPlatformAdmin: false, managesChannel: true });
  });

  it('typed options become the AgentCommand; in a DM the workspace is @dm and nobody is a server admin', async () => {
    const h = await harness();
    const { discord } = h;
    discord.interact({
      channel: discord.general,
      user: discord.ana,
      subcommand: 'create',
      options: { name: 'Nova', role: 'Astronomer', model: 'google:gemini-2.5-flash' },
    });
    discord.interact({
      channel: discord.dmWith(discord.ana),
      user: discord.ana,
      subcommand: 'use',
      options: { name: 'Nova' },
    });
    await waitFor('both answers', () => discord.rest.interactionCallbacks.length === 2);
    const byVerb = (verb: string) => h.commands.find((c) => c.command.verb === verb);
    expect(byVerb('create')?.command).toEqual({
      verb: 'create',
      name: 'Nova',
      fields: { role: 'Astronomer', model: 'google:gemini-2.5-flash' },
    });
    expect(byVerb('use')).toMatchObject({
      command: { verb: 'use', name: 'Nova' },
      context: { workspaceExternalId: '@dm', isDirect: true, actor: { isPlatformAdmin: false } },
    });
  });

  it('slow work is deferred (ephemeral), then the embed arrives as an edit of @original', async () => {
    let finish: (reply: CommandReply) => void = () => {};
    const h = await harness({
      adapter: { deferAfterMs: 50 },
      onCommand: () => new Promise<CommandReply>((resolve) => (finish = resolve)),
    });
    const { discord } = h;
    const interaction = discord.interact({
      channel: discord.general,
      user: discord.ana,
      subcommand: 'show',
      options: { name: 'Nova' },
    });
    await waitFor('the deferral', () => discord.rest.interactionCallbacks.length === 1);
    expect(discord.rest.interactionCallbacks[0]?.body).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    finish({ ok: false, text: 'No agent named Nova here.' });
    await waitFor('the edit', () => discord.rest.originalEdits.length === 1);
    expect(discord.rest.originalEdits[0]).toMatchObject({
      token: interaction.token,
      body: { embeds: [{ description: 'No agent named Nova here.', color: 0xed4245 }] },
    });
  });

  it('autocompletes agent names of the guild: prefix matches first, then the rest that contain it', async () => {
    const h = await harness();
    const { discord } = h;
    for (const name of ['Nova', 'Orion', 'Nimbus', 'Pinnacle']) await h.createAgent(name);
    discord.interact({
      channel: discord.general,
      user: discord.ana,
      subcommand: 'show',
      options: { name: 'n' },
      focused: 'name',
    });
    await waitFor('the choices', () => discord.rest.interactionCallbacks.length === 1);
    expect(discord.rest.interactionCallbacks[0]?.body).toEqual({
      type: 8,
      data: {
        choices: ['Nimbus', 'Nova', 'Orion', 'Pinnacle'].map((name) => ({ name, value: name })),
      },
    });
  });
});

describe('discord start-up failures and set-up helpers', () => {
  it('a missing Message Content intent (4014) fails start with one log line that says how to fix it', async () => {
    const h = await harness({ noStart: true });
    h.discord.gateway.refuseNextIdentify = 4014;
    await expect(h.adapter.start()).rejects.toThrow(/MESSAGE CONTENT INTENT/);
    expect(h.logs.filter((l) => l.includes('MESSAGE CONTENT INTENT'))).toHaveLength(1);
  });

  it('a bad token (REST 401, gateway 4004) fails start with one log line that says how to fix it', async () => {
    const h = await harness({ noStart: true, env: { DISCORD_BOT_TOKEN: 'not-the-right-token' } });
    await expect(h.adapter.start()).rejects.toThrow(/DISCORD_BOT_TOKEN/);
    expect(h.logs.filter((l) => l.includes('Reset Token'))).toHaveLength(1);
    await h.close();

    const g = await harness({ noStart: true });
    g.discord.gateway.refuseNextIdentify = 4004;
    await expect(g.adapter.start()).rejects.toThrow(/Reset Token/);
    expect(g.logs.filter((l) => l.includes('Reset Token'))).toHaveLength(1);
  });

  it('registerCommands (agent-bridge discord register) looks up the application and registers globally', async () => {
    const discord = await startFakeDiscord();
    try {
      const done = await registerCommands({ token: discord.token, apiUrl: discord.apiUrl });
      expect(done).toEqual({ applicationId: discord.applicationId, scope: 'global', commands: ['agent'] });
      expect(discord.rest.registrations[0]?.path).toBe(`/applications/${discord.applicationId}/commands`);
    } finally {
      await discord.close();
    }
  });

  it('the invite URL asks for exactly the permissions the bot uses, with the commands scope', () => {
    const url = new URL(discordInviteUrl('123456789012345678'));
    expect(url.origin + url.pathname).toBe('https://discord.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: '123456789012345678',
      // View Channels, Send Messages, Send Messages in Threads, Read Message History, Manage Webhooks, Add Reactions.
      permissions: String(1024 + 2048 + 2 ** 38 + 65536 + 2 ** 29 + 64),
      scope: 'bot applications.commands',
    });
  });
});
