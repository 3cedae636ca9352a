/** The verbs that change an agent: create, edit, delete, pause, resume. Validation precedes any write. */
import { modelAllowed } from '../core/tenancy.ts';
import {
  AgentNameTakenError,
  countAgents,
  createAgent,
  deleteAgent,
  findAgentByName,
  setAgentPaused,
  updateAgent,
} from '../store/agents.ts';
import { type BudgetValues, budgetOf, describeLimits } from '../usage/budget-limits.ts';
import type { AgentSettings } from './agent-args.ts';
import { checkAgentBudget, saveAgentBudget } from './budget.ts';
import {
  AGENT_FIELDS,
  type AgentField,
  type AgentFieldValues,
  type CommandContext,
  type CommandReply,
} from './command.ts';
import { type Checked, excerpt, validateFields, validateName } from './fields.ts';
import { checkPermission } from './permissions.ts';
import { missingProviderRefusal } from './provider-check.ts';
import {
  actorOf,
  type CommandDeps,
  creatorOf,
  type Found,
  failed,
  findAgent,
  modelLabel,
  rules,
  type Session,
  succeeded,
} from './session.ts';
import { KNOWN_FIELDS, usage } from './usage.ts';

export interface CreateInput {
  name: string;
  settings: AgentSettings;
}

export interface EditInput {
  name: string;
  settings: AgentSettings;
  changed: AgentField[];
  /** `budget_…=` keys (admins only), checked against the stored budget when the agent is found. */
  budget?: BudgetValues | undefined;
}

/** Permission and validation for create, before anything is written. */
export function checkCreate(
  config: CommandDeps['config'],
  ctx: CommandContext,
  rawName: string,
  fields: AgentFieldValues,
): Checked<CreateInput> {
  // `@dm` holds every Discord DM at once, in no server: nobody could find or manage an agent made there.
  if (ctx.isDirect && ctx.dmWorkspaceExternalIds !== undefined) {
    return { ok: false, error: 'Create agents in a server channel, so its members can use them.' };
  }
  const permission = checkPermission({ verb: 'create', ...rules(config, ctx) });
  if (!permission.allowed) return { ok: false, error: permission.reason };
  const name = validateName(rawName);
  if (!name.ok) return name;
  const settings = validateFields(fields);
  if (!settings.ok) return settings;
  const refused = modelRefusal(config, settings.value);
  if (refused) return { ok: false, error: refused, field: 'model' };
  return { ok: true, value: { name: name.value, settings: settings.value } };
}

export function checkEdit(
  config: CommandDeps['config'],
  ctx: CommandContext,
  name: string,
  fields: AgentFieldValues,
  budget?: BudgetValues,
): Checked<EditInput> {
  const changed = AGENT_FIELDS.filter((key) => fields[key] !== undefined);
  const budgetKeys = Object.keys(budget ?? {});
  if (changed.length === 0 && budgetKeys.length === 0) {
    const example = usage('edit', ctx.platform, excerpt(name));
    return { ok: false, error: `Nothing to change: type ${example} (keys: ${KNOWN_FIELDS}).` };
  }
  const settings = validateFields(fields);
  if (!settings.ok) return settings;
  const refused = modelRefusal(config, settings.value);
  if (refused) return { ok: false, error: refused, field: 'model' };
  return {
    ok: true,
    value: { name, settings: settings.value, changed, ...(budgetKeys.length > 0 && { budget }) },
  };
}

/** A model outside ALLOWED_MODELS: the refusal, listing what is allowed. */
export function modelRefusal(
  config: Pick<CommandDeps['config'], 'allowedModels'>,
  settings: AgentSettings,
): string | undefined {
  const model = settings.modelConfig?.model;
  if (model === undefined || modelAllowed(config.allowedModels, model)) return undefined;
  return `Model ${model} is not allowed here. Allowed: ${config.allowedModels.join(', ')} (ALLOWED_MODELS).`;
}

export async function createVerb(s: Session, input: CreateInput): Promise<CommandReply> {
  const taken = await findAgentByName(s.db, s.workspaceId, input.name);
  if (taken) return failed(nameTaken(input.name, taken.name));
  const noProvider = await missingProviderRefusal(s, input.settings);
  if (noProvider) return failed(noProvider, 'model');
  const max = s.config.maxAgentsPerWorkspace;
  if ((await countAgents(s.db, s.workspaceId)) >= max) {
    return failed(
      `This workspace has ${max} agents, the most allowed (MAX_AGENTS_PER_WORKSPACE): delete one to make room.`,
    );
  }
  const actor = await actorOf(s);
  try {
    const agent = await createAgent(
      s.db,
      {
        workspaceId: s.workspaceId,
        name: input.name,
        ...input.settings,
        ownerId: actor.id,
        maxConcurrentJobs: s.config.agentMaxConcurrent,
      },
      actor,
    );
    const model = modelLabel(agent.modelConfig, s.config);
    const next = s.ctx.isDirect
      ? 'talk to it here'
      : `add it to a channel with ${usage('join', s.ctx.platform, agent.name)}`;
    return succeeded(`Created ${agent.name} (model ${model}): ${next}.`);
  } catch (error) {
    // Someone took the name between the check and the insert.
    if (error instanceof AgentNameTakenError) return failed(nameTaken(input.name, input.name));
    throw error;
  }
}

export async function editVerb(s: Session, input: EditInput): Promise<CommandReply> {
  const found = await findAuthorized(s, 'edit', input.name);
  if (!found.agent) return found.reply;
  const noProvider = await missingProviderRefusal(s, input.settings);
  if (noProvider) return failed(noProvider, 'model');
  const budget = input.budget && checkAgentBudget(s, found.agent, input.budget, budgetOf(found.agent.budget));
  if (budget && !budget.ok) return failed(budget.error);
  if (input.changed.length > 0) {
    await updateAgent(s.db, found.agent.id, input.settings, await actorOf(s));
  }
  if (budget) await saveAgentBudget(s, found.agent.id, budget.value);
  const changes = [
    ...input.changed.map((key) => describeChange(key, input.settings)),
    ...(budget ? [`budget (${describeLimits(budget.value)})`] : []),
  ].join(', ');
  return succeeded(`Updated ${found.agent.name}: ${changes}.`);
}

export async function deleteVerb(s: Session, name: string): Promise<CommandReply> {
  const found = await findAuthorized(s, 'delete', name);
  if (!found.agent) return found.reply;
  await deleteAgent(s.db, found.agent.id, await actorOf(s));
  return succeeded(`Deleted ${found.agent.name}: its messages are kept and the name is free again.`);
}

export async function pauseVerb(s: Session, name: string, pause: boolean): Promise<CommandReply> {
  const found = await findAuthorized(s, pause ? 'pause' : 'resume', name);
  if (!found.agent) return found.reply;
  const { agent } = found;
  const paused = agent.status === 'inactive';
  if (pause && paused) return succeeded(`${agent.name} is already paused.`);
  if (!pause && !paused) return succeeded(`${agent.name} is not paused.`);
  await setAgentPaused(s.db, agent.id, pause, await actorOf(s));
  return succeeded(
    pause
      ? `Paused ${agent.name}: it answers nowhere until ${usage('resume', s.ctx.platform, agent.name)}.`
      : `Resumed ${agent.name}: it answers again.`,
  );
}

/** The agent, if the actor may run this owner-only verb on it; otherwise the refusal. */
async function findAuthorized(
  s: Session,
  verb: 'edit' | 'delete' | 'pause' | 'resume',
  name: string,
): Promise<Found> {
  const found = await findAgent(s, name);
  if (!found.agent) return found;
  const creator = await creatorOf(s, found.agent);
  const agent = { name: found.agent.name, creator };
  const permission = checkPermission({ verb, ...rules(s.config, s.ctx), agent });
  return permission.allowed ? found : { reply: failed(permission.reason) };
}

function nameTaken(wanted: string, existing: string): string {
  const sameCase = wanted === existing;
  return `There is already an agent named ${existing} here${sameCase ? '' : ' (names ignore case)'}: pick another name.`;
}

function describeChange(key: AgentField, settings: AgentSettings): string {
  if (key === 'loading' && !settings.modelConfig?.loading?.length) return 'loading (back to the default)';
  if (key === 'prompt' && settings.systemPrompt === null)
    return 'prompt (now generated from role, goal and backstory)';
  if (key === 'avatar' && settings.avatarUrl === null) return 'avatar (removed)';
  return key;
}
