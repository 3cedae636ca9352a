/**
 * Provider records (`providers` table): who may call which model API with which key. The key is
 * sealed before it reaches this module's writes and opened only by src/providers/ (never here).
 * A record belongs to one workspace, or to every workspace when global (workspaceId "").
 */
import { randomBytes } from 'node:crypto';
import type { ProviderKind } from '../core/provider-names.ts';
import { type Keyring, type Sealed, seal } from '../core/secret-box.ts';
import type { DbOrTx } from './database.ts';
import { isUniqueViolation } from './errors.ts';

export const GLOBAL_SCOPE = '';

export interface ProviderRow {
  id: string;
  workspaceId: string;
  name: string;
  kind: string;
  baseUrl: string | null;
  keyCiphertext: string | null;
  keyId: string | null;
  keyLast4: string | null;
  defaultModel: string;
  version: number;
  createdByLabel: string;
  createdAt: Date;
}

export interface NewProvider {
  /** GLOBAL_SCOPE for every workspace. */
  workspaceId: string;
  name: string;
  kind: ProviderKind;
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  defaultModel: string;
  createdById?: string | undefined;
  createdByLabel: string;
}

export class ProviderNameTakenError extends Error {
  constructor(readonly providerName: string) {
    super(`A provider named ${providerName} already exists here: remove it first or pick another name.`);
  }
}

export const providerNameKey = (name: string) => name.toLowerCase();

export async function insertProvider(db: DbOrTx, input: NewProvider, keyring: Keyring): Promise<ProviderRow> {
  const id = `prv_${randomBytes(12).toString('hex')}`;
  const sealed: Sealed | undefined = input.apiKey ? seal(keyring, id, input.apiKey) : undefined;
  try {
    return await db.providerRecord.create({
      data: {
        id,
        workspaceId: input.workspaceId,
        name: input.name,
        nameKey: providerNameKey(input.name),
        kind: input.kind,
        baseUrl: input.baseUrl ?? null,
        keyCiphertext: sealed?.ciphertext ?? null,
        keyId: sealed?.keyId ?? null,
        keyLast4: input.apiKey ? input.apiKey.slice(-4) : null,
        defaultModel: input.defaultModel,
        createdById: input.createdById ?? null,
        createdByLabel: input.createdByLabel,
      },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ProviderNameTakenError(input.name);
    throw error;
  }
}

/** The record an agent of `workspaceId` means by `name`: its workspace's own first, then a global one. */
export async function findProviderFor(
  db: DbOrTx,
  workspaceId: string,
  name: string,
): Promise<ProviderRow | null> {
  const rows = await db.providerRecord.findMany({
    where: { nameKey: providerNameKey(name), workspaceId: { in: [workspaceId, GLOBAL_SCOPE] } },
  });
  return (
    rows.find((row) => row.workspaceId === workspaceId) ??
    rows.find((row) => row.workspaceId === GLOBAL_SCOPE) ??
    null
  );
}

/** Exactly the record of this scope (for remove/show): no fallback to globals. */
export function findProviderIn(db: DbOrTx, workspaceId: string, name: string): Promise<ProviderRow | null> {
  return db.providerRecord.findUnique({
    where: { workspaceId_nameKey: { workspaceId, nameKey: providerNameKey(name) } },
  });
}

/** The providers a workspace's agents can use (its own and the global ones); every one when undefined. */
export function listProviders(db: DbOrTx, workspaceId?: string): Promise<ProviderRow[]> {
  return db.providerRecord.findMany({
    ...(workspaceId !== undefined && { where: { workspaceId: { in: [workspaceId, GLOBAL_SCOPE] } } }),
    orderBy: [{ workspaceId: 'asc' }, { nameKey: 'asc' }],
  });
}

export async function deleteProvider(db: DbOrTx, id: string): Promise<void> {
  await db.providerRecord.delete({ where: { id } });
}

/** Replaces the sealed key (rotation): the key itself is unchanged, so the version stays. */
export async function resealProvider(db: DbOrTx, id: string, sealed: Sealed): Promise<void> {
  await db.providerRecord.update({
    where: { id },
    data: { keyCiphertext: sealed.ciphertext, keyId: sealed.keyId },
  });
}

/**
 * Live agents whose model names this record: the record's workspace's agents, or for a global
 * record the agents of workspaces that have no record of that name of their own.
 */
export async function agentsUsingProvider(
  db: DbOrTx,
  record: ProviderRow,
): Promise<Array<{ name: string; workspaceId: string }>> {
  const prefix = `${providerNameKey(record.name)}:`;
  const agents = await db.agent.findMany({
    where: {
      isActive: true,
      ...(record.workspaceId !== GLOBAL_SCOPE && { workspaceId: record.workspaceId }),
    },
    select: { name: true, workspaceId: true, modelConfig: true },
  });
  const using = agents.filter((agent) => {
    const model = (agent.modelConfig as { model?: unknown } | null)?.model;
    return typeof model === 'string' && model.toLowerCase().startsWith(prefix);
  });
  if (record.workspaceId !== GLOBAL_SCOPE || using.length === 0)
    return using.map(({ name, workspaceId }) => ({ name, workspaceId }));
  const shadowing = await db.providerRecord.findMany({
    where: { nameKey: providerNameKey(record.name), workspaceId: { not: GLOBAL_SCOPE } },
    select: { workspaceId: true },
  });
  const own = new Set(shadowing.map((row) => row.workspaceId));
  return using
    .filter((agent) => !own.has(agent.workspaceId))
    .map(({ name, workspaceId }) => ({ name, workspaceId }));
}
