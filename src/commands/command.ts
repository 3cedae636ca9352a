/**
 * The `/agent` command's shared shapes: every platform turns its input into an AgentCommand, runs
 * it through one set of handlers, and renders the CommandReply natively (Slack Block Kit, Discord
 * embed, CLI text). Platform adapters depend on these types only.
 */
import type { Platform } from '../core/types.ts';
import type { BudgetValues } from '../usage/budget-limits.ts';

export const AGENT_VERBS = [
  'create',
  'list',
  'show',
  'edit',
  'delete',
  'join',
  'leave',
  'pause',
  'resume',
  'use',
  'workspace',
  'help',
] as const;
export type AgentVerb = (typeof AGENT_VERBS)[number];

/** The settable fields, named as users type them (`role=…`, Discord option `role`). */
export const AGENT_FIELDS = [
  'role',
  'goal',
  'backstory',
  'prompt',
  'model',
  'avatar',
  'loading',
  'stream',
] as const;
export type AgentField = (typeof AGENT_FIELDS)[number];
export type AgentFieldValues = Partial<Record<AgentField, string>>;

/** `/agent provider …`: the model providers of a workspace (src/commands/provider-verbs.ts). */
export type ProviderCommand =
  | { verb: 'provider'; action: 'list' }
  | { verb: 'provider'; action: 'remove'; name: string; global: boolean }
  | {
      verb: 'provider';
      action: 'add';
      name: string;
      global: boolean;
      kind: string;
      baseUrl?: string;
      model?: string;
      /** Only ever from a form (Slack modal, Discord modal): never typed in the command text. */
      apiKey?: string;
      /** Check everything but the key (before a form asks for it); writes nothing. */
      dryRun?: boolean;
    };

export type AgentCommand =
  | ProviderCommand
  | { verb: 'help' }
  | { verb: 'list' }
  | { verb: 'create'; name: string; fields: AgentFieldValues }
  /** `budget`: `budget_daily_tokens=…` and the like (admins only; usage/budget-limits.ts). */
  | { verb: 'edit'; name: string; fields: AgentFieldValues; budget?: BudgetValues }
  /** The workspace's budget: shown, or set with the same `budget_…=` keys (admins only). */
  | { verb: 'workspace'; budget: BudgetValues }
  | { verb: 'show' | 'delete' | 'join' | 'leave' | 'pause' | 'resume' | 'use'; name: string };

/** Where and by whom the command was given. */
export interface CommandContext {
  platform: Platform;
  /** Slack team id, Discord guild id (`@dm` in a Discord DM), `local` for the shell/CLI. */
  workspaceExternalId: string;
  workspaceName?: string;
  /** The channel the command was typed in (join/leave/use act on it). */
  channelId?: string;
  isDirect: boolean;
  /** Discord DMs: the guilds the user shares with the bot; `use` may pick an agent of any of them. */
  dmWorkspaceExternalIds?: string[];
  /** Names of those guilds by id, for answers that say which server an agent is in. */
  dmWorkspaceNames?: Record<string, string>;
  actor: {
    platformUserId: string;
    displayName: string;
    /** The platform says this user administers the workspace (Slack admin/owner, Discord Manage Server). */
    isPlatformAdmin: boolean;
    /** The platform says this user manages the channel typed in (Discord Manage Channels there). */
    managesChannel?: boolean;
  };
}

/** What the handlers answer; each platform renders it its own way. */
export interface CommandReply {
  ok: boolean;
  /** One short line: the headline (e.g. "Created Aria.", "Only Ana or an admin can edit Aria."). */
  text: string;
  /** A refusal about one field's value (a model ALLOWED_MODELS leaves out): forms show it there. */
  field?: 'name' | AgentField;
  /** Optional detail sections (show/list), rendered as fields or lines. */
  title?: string;
  fields?: Array<{ label: string; value: string }>;
  /**
   * Optional list rows (list): one per agent. `channels` is the raw platform channel ids joined by
   * `, ` ('' when none); `channelIds` holds the same ids for renderers that link them (`<#C123>`).
   */
  rows?: Array<{
    name: string;
    status: string;
    model: string;
    channels: string;
    role: string;
    channelIds?: string[];
  }>;
  /** show: the raw ids of the channels the agent joined (also in the `Channels` field, joined by `, `). */
  channelIds?: string[];
}

export type ParsedCommand = { ok: true; command: AgentCommand } | { ok: false; error: string };
