/**
 * Who may run which verb, as a pure decision over plain data. Anyone may create (unless
 * AGENT_CREATION=admins), list, show, join, leave and use; only the agent's creator or an admin may
 * edit, delete, pause or resume it.
 */
import type { AdminRef } from '../config-env.ts';
import type { Platform } from '../core/types.ts';
import type { AgentVerb } from './command.ts';

export interface PermissionActor {
  platform: Platform;
  platformUserId: string;
  /** Set by the adapter: Slack workspace admin/owner, Discord Manage Server in that guild. */
  isPlatformAdmin: boolean;
}

export interface AgentCreator {
  platform: Platform;
  platformUserId: string;
  displayName: string;
}

export interface PermissionRequest {
  verb: AgentVerb;
  actor: PermissionActor;
  admins: readonly AdminRef[];
  agentCreation: 'anyone' | 'admins';
  /** The agent acted on; creator null when it was made outside any platform (the CLI). */
  agent?: { name: string; creator: AgentCreator | null };
}

export type Permission = { allowed: true } | { allowed: false; reason: string };

const OWNER_VERBS: ReadonlySet<AgentVerb> = new Set(['edit', 'delete', 'pause', 'resume']);

export function isAdmin(actor: PermissionActor, admins: readonly AdminRef[]): boolean {
  // The shell and the CLI run on the operator's own machine, with the operator's own database.
  if (actor.platform === 'shell') return true;
  if (actor.isPlatformAdmin) return true;
  return admins.some((admin) => admin.platform === actor.platform && admin.userId === actor.platformUserId);
}

export function checkPermission(request: PermissionRequest): Permission {
  const { verb, actor } = request;
  if (verb === 'create') {
    if (request.agentCreation === 'anyone' || isAdmin(actor, request.admins)) return { allowed: true };
    return { allowed: false, reason: 'Only an admin can create agents here.' };
  }
  if (!OWNER_VERBS.has(verb) || isAdmin(actor, request.admins)) return { allowed: true };
  const creator = request.agent?.creator;
  if (creator && creator.platform === actor.platform && creator.platformUserId === actor.platformUserId) {
    return { allowed: true };
  }
  const target = request.agent?.name ?? 'this agent';
  const who = creator
    ? `${creator.displayName || creator.platformUserId} (the creator) or an admin`
    : 'an admin';
  return { allowed: false, reason: `Only ${who} can ${verb} ${target}.` };
}
