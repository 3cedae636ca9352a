/** Agents: profile, status, channel membership, and an audit record of every change. */
import type { Platform } from '../core/types.ts';
import type { Db, DbOrTx, Prisma, Tx } from './database.ts';
import { isUniqueViolation } from './errors.ts';
import { mergeModelConfig } from './hot/values.ts';

export type AgentStatus = 'active' | 'inactive';

export interface Actor {
  /** PlatformUser id, when the change came from a platform user. */
  id?: string | undefined;
  /** e.g. `slack:U123 (Ana)`, `cli:root` */
  label: string;
}

export interface AgentFields {
  role?: string | undefined;
  backstory?: string | undefined;
  goal?: string | undefined;
  systemPrompt?: string | null | undefined;
  modelConfig?: Prisma.InputJsonValue | undefined;
  avatarUrl?: string | null | undefined;
  maxConcurrentJobs?: number | undefined;
  /** Kept in the model config (`"stream": false`), beside the model. */
  streamReplies?: boolean | undefined;
}

export interface NewAgent extends AgentFields {
  workspaceId: string;
  name: string;
  ownerId?: string | undefined;
}

export class AgentNameTakenError extends Error {
  constructor(readonly agentName: string) {
    super(`An agent named ${agentName} already exists here. Pick another name.`);
  }
}

export function nameKeyOf(name: string): string {
  return name.normalize('NFC').toLocaleLowerCase('en-US');
}

export async function createAgent(db: Db, input: NewAgent, actor: Actor) {
  try {
    return await db.$transaction(async (tx) => {
      const agent = await tx.agent.create({
        data: {
          ...definedOnly(columnsOf(input, undefined)),
          nameKey: nameKeyOf(input.name),
          ownerId: input.ownerId ?? null,
        },
      });
      await audit(tx, agent.id, actor, 'create', definedOnly(input));
      return agent;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AgentNameTakenError(input.name);
    throw error;
  }
}

export function findAgentByName(db: DbOrTx, workspaceId: string, name: string) {
  return db.agent.findUnique({ where: { workspaceId_nameKey: { workspaceId, nameKey: nameKeyOf(name) } } });
}

export function findAgentById(db: DbOrTx, id: string) {
  return db.agent.findFirst({ where: { id, isActive: true } });
}

/** How many live agents a workspace has (MAX_AGENTS_PER_WORKSPACE caps it). */
export function countAgents(db: DbOrTx, workspaceId: string): Promise<number> {
  return db.agent.count({ where: { workspaceId, isActive: true } });
}

/** Live agents of a workspace with the channels each has joined, by name. */
export function listAgents(db: DbOrTx, workspaceId: string) {
  return db.agent.findMany({
    where: { workspaceId, isActive: true },
    orderBy: { nameKey: 'asc' },
    include: { channels: { select: { channelId: true } } },
  });
}

export async function updateAgent(db: Db, agentId: string, changes: AgentFields, actor: Actor) {
  return db.$transaction(async (tx) => {
    const current =
      changes.streamReplies !== undefined || changes.modelConfig !== undefined
        ? await tx.agent.findUnique({ where: { id: agentId }, select: { modelConfig: true } })
        : null;
    const data = definedOnly(columnsOf(changes, current?.modelConfig));
    const agent = await tx.agent.update({ where: { id: agentId }, data });
    await audit(tx, agentId, actor, 'edit', definedOnly(changes));
    return agent;
  });
}

/**
 * The columns for `fields`: the model, the working messages and the stream switch share the model
 * config, merged into what is stored there (`model=` keeps `stream` and `loading`, and so on).
 */
function columnsOf<T extends AgentFields>(fields: T, storedConfig: unknown): Omit<T, 'streamReplies'> {
  const { streamReplies, ...columns } = fields;
  if (streamReplies === undefined && fields.modelConfig === undefined) return columns;
  return {
    ...columns,
    modelConfig: mergeModelConfig(storedConfig, {
      config: fields.modelConfig as Record<string, unknown> | undefined,
      stream: streamReplies,
    }) as Prisma.InputJsonValue,
  };
}

export async function setAgentPaused(db: Db, agentId: string, paused: boolean, actor: Actor) {
  return db.$transaction(async (tx) => {
    // A paused agent is `inactive`; resuming returns it to `active`.
    const agent = await tx.agent.update({
      where: { id: agentId },
      data: { status: paused ? 'inactive' : 'active' },
    });
    await audit(tx, agentId, actor, paused ? 'pause' : 'resume', null);
    return agent;
  });
}

/** Soft delete: history stays; the name is freed for a new agent. */
export async function deleteAgent(db: Db, agentId: string, actor: Actor) {
  return db.$transaction(async (tx) => {
    const current = await tx.agent.findUniqueOrThrow({ where: { id: agentId } });
    const agent = await tx.agent.update({
      where: { id: agentId },
      data: { isActive: false, status: 'inactive', nameKey: `${current.nameKey}#deleted#${agentId}` },
    });
    await tx.channelAgent.deleteMany({ where: { agentId } });
    await audit(tx, agentId, actor, 'delete', null);
    return agent;
  });
}

export async function joinChannel(
  db: Db,
  agentId: string,
  platform: Platform,
  channelId: string,
  actor: Actor,
) {
  return db.$transaction(async (tx) => {
    const key = { agentId_channelId: { agentId, channelId } };
    const existing = await tx.channelAgent.findUnique({ where: key });
    if (existing) return { joined: false };
    await tx.channelAgent.create({ data: { agentId, platform, channelId, joinedBy: actor.label } });
    await audit(tx, agentId, actor, 'join', { channelId });
    return { joined: true };
  });
}

export async function leaveChannel(db: Db, agentId: string, channelId: string, actor: Actor) {
  return db.$transaction(async (tx) => {
    const { count } = await tx.channelAgent.deleteMany({ where: { agentId, channelId } });
    if (count > 0) await audit(tx, agentId, actor, 'leave', { channelId });
    return { left: count > 0 };
  });
}

/**
 * The platform removed a channel (deleted by someone): every agent joined to it leaves it through
 * `leaveChannel`, as `/agent leave` would, each with its audit row. Resolves to the agents that left.
 */
export async function leaveRemovedChannel(
  db: Db,
  platform: Platform,
  channelId: string,
  actor: Actor,
): Promise<string[]> {
  const members = await db.channelAgent.findMany({
    where: { platform, channelId },
    select: { agentId: true },
    orderBy: { agentId: 'asc' },
  });
  const left: string[] = [];
  for (const { agentId } of members) {
    if ((await leaveChannel(db, agentId, channelId, actor)).left) left.push(agentId);
  }
  return left;
}

/** The channels an agent joined, by id. */
export async function agentChannelIds(db: DbOrTx, agentId: string): Promise<string[]> {
  const rows = await db.channelAgent.findMany({ where: { agentId }, orderBy: { channelId: 'asc' } });
  return rows.map((row) => row.channelId);
}

/** Replies the agent has given (failure notices not counted). */
export function countReplies(db: DbOrTx, agentId: string): Promise<number> {
  return db.job.count({ where: { agentId, status: 'completed' } });
}

/** `/agent use`: the agent answers in this DM from now on, and the audit says who chose it. */
export async function useAgentInDm(
  db: Db,
  agentId: string,
  conversationId: string,
  channelId: string,
  actor: Actor,
): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.conversation.update({ where: { id: conversationId }, data: { activeAgentId: agentId } });
    await audit(tx, agentId, actor, 'use', { conversationId, channelId });
  });
}

export function auditTrail(db: DbOrTx, agentId: string) {
  return db.agentAudit.findMany({ where: { agentId }, orderBy: { id: 'asc' } });
}

export function audit(
  tx: Tx | DbOrTx,
  agentId: string,
  actor: Actor,
  action: string,
  changes: object | null,
) {
  return tx.agentAudit.create({
    data: {
      agentId,
      actorId: actor.id ?? null,
      actorLabel: actor.label,
      action,
      ...(changes ? { changes: changes as Prisma.InputJsonValue } : {}),
    },
  });
}

function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}
