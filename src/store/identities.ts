/** Workspaces (Slack teams, Discord guilds, the shell) and the people and bots in them. */
import type { Platform } from '../core/types.ts';
import type { Db, DbOrTx } from './database.ts';
import { isUniqueViolation } from './errors.ts';

export interface UserInput {
  platform: Platform;
  externalId: string;
  displayName: string;
  isBot: boolean;
}

export async function ensureWorkspace(db: DbOrTx, platform: Platform, externalId: string, name?: string) {
  const where = { platform_externalId: { platform, externalId } };
  const existing = await db.workspace.findUnique({ where });
  if (existing) return existing;
  try {
    return await db.workspace.create({ data: { platform, externalId, name: name ?? null } });
  } catch (error) {
    // Another process created it between our read and write.
    if (isUniqueViolation(error)) return db.workspace.findUniqueOrThrow({ where });
    throw error;
  }
}

export async function ensureUser(db: DbOrTx, input: UserInput) {
  const where = { platform_externalId: { platform: input.platform, externalId: input.externalId } };
  const existing = await db.platformUser.findUnique({ where });
  if (existing) {
    if (existing.displayName === input.displayName && existing.isBot === input.isBot) return existing;
    return db.platformUser.update({ where, data: { displayName: input.displayName, isBot: input.isBot } });
  }
  try {
    return await db.platformUser.create({ data: input });
  } catch (error) {
    if (isUniqueViolation(error)) return db.platformUser.findUniqueOrThrow({ where });
    throw error;
  }
}

export function findUser(db: DbOrTx, id: string) {
  return db.platformUser.findUnique({ where: { id } });
}

export function findWorkspace(db: DbOrTx, platform: Platform, externalId: string) {
  return db.workspace.findUnique({ where: { platform_externalId: { platform, externalId } } });
}

export function workspacesOf(db: DbOrTx, platform: Platform, externalIds: readonly string[]) {
  return db.workspace.findMany({ where: { platform, externalId: { in: [...externalIds] } } });
}

/**
 * The app was removed from the workspace (Slack `app_uninstalled` / `tokens_revoked`, Discord
 * GUILD_DELETE): marks it, and drops what waited for a reply there, so neither the queue nor the
 * sweeper tries to answer into it. False when it was already marked (or never seen).
 */
export async function markWorkspaceUninstalled(
  db: Db,
  platform: Platform,
  externalId: string,
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const marked = await tx.workspace.updateMany({
      where: { platform, externalId, uninstalledAt: null },
      data: { uninstalledAt: new Date() },
    });
    if (marked.count === 0) return false;
    await tx.message.updateMany({
      where: { pendingAgentId: { not: null }, conversation: { workspace: { platform, externalId } } },
      data: { pendingAgentId: null },
    });
    return true;
  });
}

/** The app is back (an event arrived from the workspace again). False when it was not marked. */
export async function markWorkspaceReinstalled(
  db: Db,
  platform: Platform,
  externalId: string,
): Promise<boolean> {
  const cleared = await db.workspace.updateMany({
    where: { platform, externalId, uninstalledAt: { not: null } },
    data: { uninstalledAt: null },
  });
  return cleared.count > 0;
}
