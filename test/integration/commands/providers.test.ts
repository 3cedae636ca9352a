/**
 * `/agent provider` through the parser and the command core: who may (a workspace's admins for its
 * own providers; only AGENT_BRIDGE_ADMINS for global ones), what each refusal says, the key never
 * taken from the text, and `model=` naming a provider the workspace does not have.
 */
import { describe, expect, it } from 'vitest';
import type { AgentCommand, CommandContext } from '../../../src/commands/command.ts';
import { runAgentCommand } from '../../../src/commands/handlers.ts';
import { parseAgentCommand } from '../../../src/commands/parse.ts';
import { keyringOf } from '../../../src/providers/keyring.ts';
import { findProviderFor } from '../../../src/store/providers.ts';
import { providers, useTestDatabase } from '../../support/test-database.ts';
import { TEST_SECRETS } from '../../support/test-secrets.ts';
import { admin, ana, baseConfig, owner, workspace } from './command-harness.ts';

const keyring = keyringOf({ secretKey: TEST_SECRETS.secretKey, previousSecretKeys: [] });
const KEY = TEST_SECRETS.anthropicApiKey;

for (const provider of providers) {
  describe(`/agent provider on ${provider}`, () => {
    const database = useTestDatabase(provider);
    const db = () => database.current.db;

    function command(text: string, extra: Partial<AgentCommand> = {}): AgentCommand {
      const parsed = parseAgentCommand(text);
      if (!parsed.ok) throw new Error(parsed.error);
      return { ...parsed.command, ...extra } as AgentCommand;
    }
    const run = (ctx: CommandContext, cmd: AgentCommand, withKeyring = true) =>
      runAgentCommand({ db: db(), config: baseConfig, ...(withKeyring && { keyring }) }, ctx, cmd);

    it.each([
      [
        'a member',
        'add team-x kind=anthropic',
        ana,
        false,
        'Only a workspace admin or owner or an agent-bridge admin (AGENT_BRIDGE_ADMINS) can manage providers here.',
      ],
      [
        'a member',
        'list',
        ana,
        false,
        'Only a workspace admin or owner or an agent-bridge admin (AGENT_BRIDGE_ADMINS) can manage providers here.',
      ],
      [
        'a member',
        'remove team-x',
        ana,
        false,
        'Only a workspace admin or owner or an agent-bridge admin (AGENT_BRIDGE_ADMINS) can manage providers here.',
      ],
      [
        'a workspace owner',
        'add team-x kind=anthropic scope=global',
        owner,
        false,
        'Only an agent-bridge admin (AGENT_BRIDGE_ADMINS) can manage global providers.',
      ],
      ['a workspace owner', 'add team-x kind=anthropic', owner, true, undefined],
      ['an AGENT_BRIDGE_ADMINS admin', 'add team-x kind=anthropic scope=global', admin, true, undefined],
    ])('%s: provider %s', async (_who, text, who, allowed, refusal) => {
      const ws = workspace(db);
      const reply = await run(
        ws.context(who),
        command(`provider ${text}`, { dryRun: true } as Partial<AgentCommand>),
      );
      expect(reply.ok).toBe(allowed);
      if (refusal) expect(reply.text).toBe(refusal);
    });

    it('the refusal on Discord names Manage Server', async () => {
      const ws = workspace(db, 'discord');
      const reply = await run(ws.context(ana), command('provider list'));
      expect(reply.text).toBe(
        'Only a member with Manage Server or an agent-bridge admin (AGENT_BRIDGE_ADMINS) can manage providers here.',
      );
    });

    it('adds with a key from a form, lists it by its last 4, and the agent may name it', async () => {
      const ws = workspace(db);
      const added = await run(
        ws.context(owner),
        command('provider add team-claude kind=anthropic', { apiKey: KEY } as Partial<AgentCommand>),
      );
      expect(added.ok).toBe(true);
      expect(JSON.stringify(added)).not.toContain(KEY);
      const listed = await run(ws.context(owner), command('provider list'));
      expect(listed.fields?.[0]).toEqual({
        label: 'team-claude',
        value: expect.stringContaining(`key …${KEY.slice(-4)}`),
      });
      const created = await ws.run(ana, 'create Aria model=team-claude:claude-sonnet-4-5');
      expect(created.ok).toBe(true);
      // Another workspace's agents cannot name it.
      const other = workspace(db);
      const refused = await other.run(ana, 'create Bea model=team-claude:claude-sonnet-4-5');
      expect(refused).toEqual({
        ok: false,
        field: 'model',
        text: 'No provider named team-claude here: an admin adds it with /agent provider add team-claude, or use a built-in one (google, local, offline).',
      });
      expect(await findProviderFor(db(), await other.id(), 'team-claude')).toBeNull();
    });

    it('refuses an add without a key in the text-only places, and without AGENT_BRIDGE_SECRET_KEY', async () => {
      const ws = workspace(db);
      const noKey = await run(ws.context(owner), command('provider add team-claude kind=anthropic'));
      expect(noKey.text).toMatch(/^a anthropic provider needs an API key: enter it in the form/);
      const noSecret = await run(
        ws.context(owner),
        command('provider add team-claude kind=anthropic', { apiKey: KEY } as Partial<AgentCommand>),
        false,
      );
      expect(noSecret.text).toBe(
        'cannot store a key: set AGENT_BRIDGE_SECRET_KEY to 32 random bytes in base64, e.g. AGENT_BRIDGE_SECRET_KEY="$(openssl rand -base64 32)"',
      );
    });

    it('never reads a key from the command text', () => {
      expect(parseAgentCommand(`provider add x kind=anthropic key=${KEY}`)).toEqual({
        ok: false,
        error: 'Never type a key in a command: /agent provider add NAME kind=… asks for it in a form.',
      });
    });
  });
}
