/** Runs `/agent` text through the parser and the handlers against a test database. */
import type { CommandContext, CommandReply } from '../../../src/commands/command.ts';
import { type CommandDeps, runAgentCommand } from '../../../src/commands/handlers.ts';
import { parseAgentCommand } from '../../../src/commands/parse.ts';
import type { Platform } from '../../../src/core/types.ts';
import { auditTrail, findAgentByName } from '../../../src/store/agents.ts';
import type { Db } from '../../../src/store/database.ts';
import { ensureWorkspace } from '../../../src/store/identities.ts';

export const baseConfig: CommandDeps['config'] = {
  admins: [{ platform: 'slack', userId: 'UADMIN' }],
  agentCreation: 'anyone',
  defaultModel: 'offline:echo',
  agentMaxConcurrent: 3,
  // Every model: the tests of ALLOWED_MODELS narrow it.
  allowedModels: ['*:*'],
  maxAgentsPerWorkspace: 50,
};

export interface Person {
  id: string;
  name: string;
  isPlatformAdmin?: boolean;
}

export const ana: Person = { id: 'UANA', name: 'Ana' };
export const bob: Person = { id: 'UBOB', name: 'Bob' };
export const admin: Person = { id: 'UADMIN', name: 'Root' };
export const owner: Person = { id: 'UOWNER', name: 'Olga', isPlatformAdmin: true };

let workspaces = 0;

/** A fresh workspace per call, so tests sharing a database never see each other's agents. */
export function workspace(getDb: () => Db, platform: Platform = 'slack', config = baseConfig) {
  const externalId = `T${++workspaces}-${Math.random().toString(36).slice(2, 8)}`;
  /** `where`: a channel id, or `dm` for the user's DM with the bot. */
  const context = (who: Person, where = 'C1'): CommandContext => ({
    platform,
    workspaceExternalId: externalId,
    isDirect: where === 'dm',
    channelId: where === 'dm' ? `D-${who.id}` : where,
    actor: { platformUserId: who.id, displayName: who.name, isPlatformAdmin: who.isPlatformAdmin === true },
  });
  return {
    externalId,
    context,
    async id() {
      return (await ensureWorkspace(getDb(), platform, externalId)).id;
    },
    /** `/agent <text>` typed by `who` (`extra` adds to the context); a parse error fails the test. */
    async run(
      who: Person,
      text: string,
      where?: string,
      extra: Partial<CommandContext> = {},
    ): Promise<CommandReply> {
      const parsed = parseAgentCommand(text);
      if (!parsed.ok) throw new Error(`parse failed for ${JSON.stringify(text)}: ${parsed.error}`);
      return runAgentCommand({ db: getDb(), config }, { ...context(who, where), ...extra }, parsed.command);
    },
    async agent(name: string) {
      return findAgentByName(getDb(), await this.id(), name);
    },
    async actions(name: string) {
      const agent = await this.agent(name);
      if (!agent) throw new Error(`no agent ${name}`);
      return (await auditTrail(getDb(), agent.id)).map((entry) => entry.action);
    },
  };
}
