/**
 * Who may run which verb, as a pure decision over plain data. Anyone may create (unless
 * AGENT_CREATION=admins), list, show and use; only the agent's creator or an admin may edit,
 * delete, pause or resume it, or read its system prompt (and the goal and backstory it is written
 * from). join and leave: the creator, an admin, or whoever the platform says runs that channel:
 * on Slack its members (the command was typed there, so the caller is one), on Discord members
 * with Manage Channels there. docs/security.md, "Tenancy and permissions", explains why.
 */
import type { AdminRef } from '../config-env.ts';
import type { Platform } from '../core/types.ts';
import type { AgentVerb } from './command.ts';

export interface PermissionActor {
  platform: Platform;
  platformUserId: string;
  /** Set by the adapter: Slack workspace admin/owner, Discord Manage Server in that guild. */
  isPlatformAdmin: boolean;
  /** Set by the adapter: Discord Manage Channels in the channel the command was typed in. */
  managesChannel?: boolean;
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
  /** join/leave: the command was typed in the channel it acts on (never in a DM). */
  inChannel?: boolean;
}

export type Permission = { allowed: true } | { allowed: false; reason: string };

const OWNER_VERBS: ReadonlySet<AgentVerb> = new Set(['edit', 'delete', 'pause', 'resume']);

export function isAdmin(actor: PermissionActor, admins: readonly AdminRef[]): boolean {
  // The shell and the CLI run on the operator's own machine, with the operator's own database.
  if (actor.platform === 'shell') return true;
  if (actor.isPlatformAdmin) return true;
  return admins.some((admin) => admin.platform === actor.platform && admin.userId === actor.platformUserId);
}

export function isCreator(actor: PermissionActor, creator: AgentCreator | null | undefined): boolean {
  return (
    creator !== null &&
    creator !== undefined &&
    creator.platform === actor.platform &&
    creator.platformUserId === actor.platformUserId
  );
}

/** The creator or an admin: who may read an agent's system prompt, goal and backstory. */
export function maySeePrompt(request: Omit<PermissionRequest, 'verb' | 'agentCreation'>): boolean {
  return isAdmin(request.actor, request.admins) || isCreator(request.actor, request.agent?.creator);
}

/** Whoever runs the channel the command was typed in, as far as the platform tells. */
function runsChannel(request: PermissionRequest): boolean {
  const { actor } = request;
  if (actor.managesChannel === true) return true;
  // Slack vouches (in the signed payload) that the caller typed the command in this channel, which
  // only its members can; it says nothing checkable about who manages a channel.
  return actor.platform === 'slack' && request.inChannel === true;
}

export function checkPermission(request: PermissionRequest): Permission {
  const { verb, actor } = request;
  if (verb === 'create') {
    if (request.agentCreation === 'anyone' || isAdmin(actor, request.admins)) return { allowed: true };
    return { allowed: false, reason: 'Only an admin can create agents here.' };
  }
  const channelVerb = verb === 'join' || verb === 'leave';
  if (!(OWNER_VERBS.has(verb) || channelVerb) || isAdmin(actor, request.admins)) return { allowed: true };
  const creator = request.agent?.creator;
  if (isCreator(actor, creator)) return { allowed: true };
  if (channelVerb && runsChannel(request)) return { allowed: true };
  const target = request.agent?.name ?? 'this agent';
  const theCreator = creator ? `${creator.displayName || creator.platformUserId} (the creator)` : undefined;
  if (channelVerb) {
    const runner =
      actor.platform === 'discord' ? 'a member with Manage Channels here' : 'a member of this channel';
    const who = `${theCreator ? `${theCreator}, ` : ''}an admin or ${runner}`;
    const what = verb === 'join' ? `add ${target} to this channel` : `remove ${target} from this channel`;
    return { allowed: false, reason: `Only ${who} can ${what}.` };
  }
  const who = theCreator ? `${theCreator} or an admin` : 'an admin';
  return { allowed: false, reason: `Only ${who} can ${verb} ${target}.` };
}
