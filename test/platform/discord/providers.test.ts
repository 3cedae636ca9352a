/**
 * `/agent provider` on Discord through the real discord.js client: the subcommand group, the
 * refusal for members without Manage Server, the modal that takes the key, and the add that
 * follows its submission. The key appears in no answer and no log line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PROVIDER_MODAL_PREFIX } from '../../../src/adapters/discord/provider-command.ts';
import { agentSlashCommand } from '../../../src/adapters/discord/slash-command.ts';
import { runAgentCommand } from '../../../src/commands/handlers.ts';
import { parseConfig } from '../../../src/config.ts';
import { keyringOf } from '../../../src/providers/keyring.ts';
import { ensureWorkspace } from '../../../src/store/identities.ts';
import { findProviderFor } from '../../../src/store/providers.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { TEST_SECRETS } from '../../support/test-secrets.ts';
import { type DiscordHarness, startDiscordHarness, waitFor } from './harness.ts';

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MANAGE_GUILD = '32';
const KEY = TEST_SECRETS.openaiApiKey;

describe('/agent provider on discord', () => {
  it('registers a provider group with add, list and remove', () => {
    const group = agentSlashCommand().options?.find((o) => o.name === 'provider') as
      | { type: number; options: Array<{ name: string; options?: Array<{ name: string }> }> }
      | undefined;
    expect(group?.type).toBe(2);
    expect(group?.options.map((o) => o.name)).toEqual(['add', 'list', 'remove']);
    expect(group?.options[0]?.options?.map((o) => o.name)).toEqual([
      'name',
      'kind',
      'model',
      'base_url',
      'scope',
    ]);
    // No option takes a key: it goes in the modal.
    expect(JSON.stringify(group)).not.toMatch(/"name":"(api_)?key"/);
  });

  it('refuses a member without Manage Server, opens a key modal for an admin, and adds on submit', async () => {
    const config = parseConfig({ AGENT_BRIDGE_SECRET_KEY: TEST_SECRETS.secretKey });
    const deps = { db: t.current.db, config, keyring: keyringOf(config) };
    h = await startDiscordHarness(t.current, {
      env: { AGENT_BRIDGE_SECRET_KEY: TEST_SECRETS.secretKey },
      onCommand: (context, command) => runAgentCommand(deps, context, command),
    });
    const { discord } = h;
    const options = { name: 'team-gpt', kind: 'openai', model: 'gpt-4.1-mini' };

    discord.interact({
      channel: discord.general,
      user: discord.ben,
      permissions: '0',
      group: 'provider',
      subcommand: 'add',
      options,
    });
    await waitFor('the refusal', () => discord.rest.interactionCallbacks.length === 1);
    expect(discord.rest.interactionCallbacks[0]?.body).toMatchObject({
      type: 4,
      data: {
        flags: 64,
        embeds: [
          {
            description:
              'Only a member with Manage Server or an agent-bridge admin (AGENT_BRIDGE_ADMINS) can manage providers here.',
          },
        ],
      },
    });

    discord.interact({
      channel: discord.general,
      user: discord.ana,
      permissions: MANAGE_GUILD,
      group: 'provider',
      subcommand: 'add',
      options,
    });
    await waitFor('the modal', () => discord.rest.interactionCallbacks.length === 2);
    const modal = discord.rest.interactionCallbacks[1]?.body as {
      type: number;
      data: {
        custom_id: string;
        components: Array<{ components: Array<{ custom_id: string; type: number }> }>;
      };
    };
    expect(modal.type).toBe(9);
    expect(modal.data.custom_id.startsWith(PROVIDER_MODAL_PREFIX)).toBe(true);
    expect(modal.data.components[0]?.components[0]).toMatchObject({ type: 4, custom_id: 'key' });

    // Someone else cannot complete another person's form.
    discord.interact({
      channel: discord.general,
      user: discord.ben,
      permissions: MANAGE_GUILD,
      subcommand: 'unused',
      modal: { customId: modal.data.custom_id, values: { key: KEY } },
    });
    await waitFor('the stranger answer', () => discord.rest.interactionCallbacks.length === 3);
    expect(JSON.stringify(discord.rest.interactionCallbacks[2]?.body)).toContain('This form expired');

    discord.interact({
      channel: discord.general,
      user: discord.ana,
      permissions: MANAGE_GUILD,
      group: 'provider',
      subcommand: 'add',
      options,
    });
    await waitFor('the second modal', () => discord.rest.interactionCallbacks.length === 4);
    const second = discord.rest.interactionCallbacks[3]?.body as { data: { custom_id: string } };
    discord.interact({
      channel: discord.general,
      user: discord.ana,
      permissions: MANAGE_GUILD,
      subcommand: 'unused',
      modal: { customId: second.data.custom_id, values: { key: KEY } },
    });
    await waitFor('the saved answer', () => discord.rest.interactionCallbacks.length === 5);
    const saved = JSON.stringify(discord.rest.interactionCallbacks[4]?.body);
    expect(saved).toContain('Added the provider team-gpt');
    expect(saved).toContain(`…${KEY.slice(-4)}`);
    expect(saved).not.toContain(KEY);
    const workspace = await ensureWorkspace(t.current.db, 'discord', discord.guild.id);
    expect((await findProviderFor(t.current.db, workspace.id, 'team-gpt'))?.kind).toBe('openai');
    for (const line of h.logs) expect(line).not.toContain(KEY);
  });
});
