/** What every verb handler shares: the workspace, the acting user, agent lookup and reply shapes. */
import type { Config } from '../config.ts';
import type { Keyring } from '../core/secret-box.ts';
import { effectiveModel } from '../core/tenancy.ts';
import { type Actor, findAgentByName, listAgents } from '../store/agents.ts';
import type { Db } from '../store/database.ts';
import { ensureUser, ensureWorkspace, findUser } from '../store/identities.ts';
import type { CommandContext, CommandReply } from './command.ts';
import { excerpt } from './fields.ts';
import type { AgentCreator } from './permissions.ts';
import { createExample, usage } from './usage.ts';

export interface CommandDeps {
  db: Db;
  config: Pick<
    Config,
    | 'admins'
    | 'agentCreation'
    | 'defaultModel'
    | 'agentMaxConcurrent'
    | 'allowedModels'
    | 'maxAgentsPerWorkspace'
  > &
    Partial<Pick<Config, 'modelPrices'>>;
  /**
   * After a verb that may change agents, memberships or a DM's chosen agent: running services
   * drop what they remembered of them. Never throws.
   */
  onChange?: () => Promise<void>;
  /** Seals provider keys (`/agent provider add`); without it no key can be stored. */
  keyring?: Keyring;
}

export interface Session extends CommandDeps {
  ctx: CommandContext;
  workspaceId: string;
}

export type AgentRow = NonNullable<Awaited<ReturnType<typeof findAgentByName>>>;

export async function openSession(deps: CommandDeps, ctx: CommandContext): Promise<Session> {
  const workspace = await ensureWorkspace(deps.db, ctx.platform, ctx.workspaceExternalId, ctx.workspaceName);
  return { ...deps, ctx, workspaceId: workspace.id };
}

/** The acting user as the audit records them: their PlatformUser and `slack:U123 (Ana)`. */
export async function actorOf(session: Session): Promise<Actor> {
  const { platform, actor } = session.ctx;
  const user = await ensureUser(session.db, {
    platform,
    externalId: actor.platformUserId,
    displayName: actor.displayName,
    isBot: false,
  });
  return {
    id: user.id,
    label: `${platform}:${actor.platformUserId} (${actor.displayName || actor.platformUserId})`,
  };
}

export type Found = { agent: AgentRow; reply?: undefined } | { agent?: undefined; reply: CommandReply };

/** The live agent with this name (any case) here, or the refusal listing the agents there are. */
export async function findAgent(session: Session, name: string): Promise<Found> {
  const wanted = name.trim();
  if (wanted === '') return { reply: failed(`Which agent? Type ${usage('show', session.ctx.platform)}`) };
  const agent = await findAgentByName(session.db, session.workspaceId, wanted);
  if (agent?.isActive) return { agent };
  const names = (await listAgents(session.db, session.workspaceId)).map((a) => a.name);
  const shown = excerpt(wanted);
  if (names.length === 0) {
    const create = createExample(session.ctx.platform, shown);
    return { reply: failed(`No agent named ${shown} here, and no agents yet: create one with ${create}`) };
  }
  return { reply: failed(`No agent named ${shown} here. Agents: ${names.join(', ')}.`) };
}

/** The creator as permissions compare them; null for agents made outside any platform. */
export async function creatorOf(session: Session, agent: AgentRow): Promise<AgentCreator | null> {
  if (!agent.ownerId) return null;
  const owner = await findUser(session.db, agent.ownerId);
  if (!owner) return null;
  return {
    platform: owner.platform as AgentCreator['platform'],
    platformUserId: owner.externalId,
    displayName: owner.displayName,
  };
}

/** What every permission decision starts from: who acts, and the deployment's rules. */
export function rules(config: CommandDeps['config'], { platform, actor }: CommandContext) {
  return {
    actor: {
      platform,
      platformUserId: actor.platformUserId,
      isPlatformAdmin: actor.isPlatformAdmin,
      ...(actor.managesChannel !== undefined && { managesChannel: actor.managesChannel }),
    },
    admins: config.admins,
    agentCreation: config.agentCreation,
  };
}

export function succeeded(text: string, extra: Omit<CommandReply, 'ok' | 'text'> = {}): CommandReply {
  return { ok: true, text, ...extra };
}

export function failed(text: string, field?: CommandReply['field']): CommandReply {
  return field ? { ok: false, text, field } : { ok: false, text };
}

/**
 * `provider:model` when set, else `default (offline:echo)`; a model ALLOWED_MODELS no longer
 * allows says what the agent answers with instead.
 */
export function modelLabel(
  modelConfig: unknown,
  config: Pick<Config, 'defaultModel' | 'allowedModels'>,
): string {
  const model =
    typeof modelConfig === 'object' && modelConfig !== null && 'model' in modelConfig
      ? modelConfig.model
      : undefined;
  const own = typeof model === 'string' && model !== '' ? model : undefined;
  const choice = effectiveModel(own, config);
  if (choice.notAllowed) return `${choice.notAllowed} (not allowed any more: answers with ${choice.model})`;
  return own ?? `default (${config.defaultModel})`;
}

/** Users read `paused` for the store's `inactive`. */
export function statusLabel(status: string): string {
  return status === 'inactive' ? 'paused' : status;
}
