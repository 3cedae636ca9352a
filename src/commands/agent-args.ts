/**
 * Validation of agent settings shared by every way of managing agents: agent names, field values
 * (model, avatar, lengths) and the CLI's workspace references. Pure: every
 * function returns either a value or a one-line error that says what to type instead.
 */
import { AGENT_NAME, AGENT_NAME_RULE } from '../core/agent-name.ts';
import type { Platform } from '../core/types.ts';
import { formatModelSpec, parseModelSpec } from '../worker/providers/registry.ts';
import { AGENT_FIELDS, type AgentField, type AgentFieldValues } from './command.ts';

type AgentKey = AgentField;
export type AgentValues = AgentFieldValues;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** What the store takes (`AgentFields` in src/store/agents.ts). */
export interface AgentSettings {
  role?: string;
  goal?: string;
  backstory?: string;
  /** null: generate the prompt from role, goal and backstory. */
  systemPrompt?: string | null;
  /** The model and the working messages (`loading`) share the agent's JSON config column. */
  modelConfig?: AgentConfig;
  avatarUrl?: string | null;
  /** `stream=off`: the agent's replies are posted when done instead of streamed. */
  streamReplies?: boolean;
}

/** What the agent's modelConfig column holds. */
export type AgentConfig = {
  model?: string;
  /** Slack's rotating working messages (assistant.threads.setStatus `loading_messages`). */
  loading?: string[];
};

/** Slack shows at most 10 loading messages. */
export const MAX_LOADING_MESSAGES = 10;
const LOADING_MESSAGE_LENGTH = 100;

const MAX_LENGTH: Record<AgentKey, number> = {
  role: 200,
  goal: 1000,
  backstory: 4000,
  prompt: 8000,
  model: 200,
  avatar: 2048,
  loading: 1000,
  stream: 3,
};

/** The name agent-bridge itself posts under. */
const RESERVED_NAMES = new Set(['agent-bridge']);

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const err = <T>(error: string): Parsed<T> => ({ ok: false, error });

export function parseAgentName(raw: string | undefined): Parsed<string> {
  const name = (raw ?? '').normalize('NFC').trim();
  if (name === '') return err(`an agent name is missing (${AGENT_NAME_RULE}), e.g. Aria`);
  if (!AGENT_NAME.test(name))
    return err(`"${name}" is not a valid agent name: use ${AGENT_NAME_RULE}, e.g. Aria`);
  if (RESERVED_NAMES.has(name.toLowerCase())) return err(`"${name}" is reserved: pick another agent name`);
  return ok(name);
}

/** Validates the values and turns them into stored fields; an empty prompt or avatar clears it. */
export function agentSettingsFrom(values: AgentValues): Parsed<AgentSettings> {
  const settings: AgentSettings = {};
  for (const key of AGENT_FIELDS) {
    const value = values[key];
    if (value === undefined) continue;
    if (value.length > MAX_LENGTH[key])
      return err(`${key} is too long: at most ${MAX_LENGTH[key]} characters`);
    switch (key) {
      case 'role':
      case 'goal':
      case 'backstory':
        settings[key] = value;
        break;
      case 'prompt':
        settings.systemPrompt = value === '' ? null : value;
        break;
      case 'model': {
        const spec = parseModelSpec(value);
        if (!spec.ok) return err(spec.error);
        settings.modelConfig = { ...settings.modelConfig, model: formatModelSpec(spec) };
        break;
      }
      case 'loading': {
        const messages = parseLoadingMessages(value);
        if (!messages.ok) return messages;
        settings.modelConfig = { ...settings.modelConfig, loading: messages.value };
        break;
      }
      case 'stream': {
        const on = value.trim().toLowerCase();
        if (on !== 'on' && on !== 'off') return err(`stream must be on or off, e.g. stream=off`);
        settings.streamReplies = on === 'on';
        break;
      }
      case 'avatar': {
        if (value === '') {
          settings.avatarUrl = null;
          break;
        }
        if (!isHttpsUrl(value))
          return err(`avatar must be an https:// image URL, e.g. avatar=https://example.com/aria.png`);
        settings.avatarUrl = value;
        break;
      }
    }
  }
  return ok(settings);
}

/** `Reading the docs…|Thinking…` → the messages; `""` → none (the default status again). */
export function parseLoadingMessages(value: string): Parsed<string[]> {
  const messages = value
    .split('|')
    .map((message) => message.replace(/\s+/gu, ' ').trim())
    .filter((message) => message !== '');
  if (messages.length > MAX_LOADING_MESSAGES)
    return err(`loading takes at most ${MAX_LOADING_MESSAGES} messages separated by |`);
  const long = messages.find((message) => [...message].length > LOADING_MESSAGE_LENGTH);
  if (long) return err(`each loading message is at most ${LOADING_MESSAGE_LENGTH} characters`);
  return ok(messages);
}

export interface WorkspaceRef {
  platform: Platform;
  externalId: string;
}

const PLATFORMS: readonly Platform[] = ['shell', 'slack', 'discord'];

/** `slack:T123`, `discord:456`, `shell:local`. */
export function parseWorkspaceRef(raw: string): Parsed<WorkspaceRef> {
  const value = raw.trim();
  const colon = value.indexOf(':');
  const platform = value.slice(0, colon).toLowerCase();
  const externalId = value.slice(colon + 1).trim();
  const example = 'e.g. slack:T0123ABCD, discord:123456789012345678 or shell:local';
  if (colon <= 0 || !PLATFORMS.includes(platform as Platform)) {
    return err(`workspace "${value}" must be platform:id with platform ${PLATFORMS.join(', ')} (${example})`);
  }
  if (!/^[A-Za-z0-9@._-]{1,64}$/.test(externalId)) {
    return err(`workspace id "${externalId}" is not valid (${example})`);
  }
  return ok({ platform: platform as Platform, externalId });
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && !/\s/.test(value);
  } catch {
    return false;
  }
}
