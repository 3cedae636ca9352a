/**
 * The arguments of agent management, shared by the CLI (`agent-bridge agents create Aria role=…`)
 * and the `/agent` command: agent names, `key=value` pairs, workspace references. Pure: every
 * function returns either a value or a one-line error that says what to type instead.
 */
import type { Platform } from '../core/types.ts';
import { formatModelSpec, parseModelSpec } from '../worker/providers/registry.ts';

export const AGENT_KEYS = ['role', 'goal', 'backstory', 'prompt', 'model', 'avatar'] as const;
export type AgentKey = (typeof AGENT_KEYS)[number];
export type AgentValues = Partial<Record<AgentKey, string>>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** What the store takes (`AgentFields` in src/store/agents.ts). */
export interface AgentSettings {
  role?: string;
  goal?: string;
  backstory?: string;
  /** null: generate the prompt from role, goal and backstory. */
  systemPrompt?: string | null;
  modelConfig?: { model: string };
  avatarUrl?: string | null;
}

const MAX_LENGTH: Record<AgentKey, number> = {
  role: 200,
  goal: 1000,
  backstory: 4000,
  prompt: 8000,
  model: 200,
  avatar: 2048,
};

export const AGENT_NAME_RULE = '1-32 letters, digits, - or _';
const NAME = /^[\p{L}\p{N}_-]{1,32}$/u;
/** The name agent-bridge itself posts under. */
const RESERVED_NAMES = new Set(['agent-bridge']);
const KNOWN_KEYS = `${AGENT_KEYS.slice(0, -1).join(', ')} or ${AGENT_KEYS.at(-1)}`;

/** Opening quote → its closing quote (Slack turns "…" into “…” as people type). */
const QUOTE_PAIRS: Record<string, string> = { '"': '"', "'": "'", '“': '”', '”': '”', '‘': '’', '’': '’' };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const err = <T>(error: string): Parsed<T> => ({ ok: false, error });

export function parseAgentName(raw: string | undefined): Parsed<string> {
  const name = (raw ?? '').normalize('NFC').trim();
  if (name === '') return err(`an agent name is missing (${AGENT_NAME_RULE}), e.g. Aria`);
  if (!NAME.test(name)) return err(`"${name}" is not a valid agent name: use ${AGENT_NAME_RULE}, e.g. Aria`);
  if (RESERVED_NAMES.has(name.toLowerCase())) return err(`"${name}" is reserved: pick another agent name`);
  return ok(name);
}

/** `role=Friendly mentor` → { role: 'Friendly mentor' }. Keys are case-insensitive; each may appear once. */
export function parseAgentValues(args: readonly string[]): Parsed<AgentValues> {
  const values: AgentValues = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      return err(
        `"${arg}" is not key=value: write e.g. role="Friendly TypeScript mentor" (quote values with spaces)`,
      );
    }
    const key = arg.slice(0, eq).trim().toLowerCase();
    if (!isAgentKey(key)) return err(`unknown key "${arg.slice(0, eq)}": use ${KNOWN_KEYS}`);
    if (values[key] !== undefined) return err(`${key} is given twice: give each key once`);
    values[key] = unquote(arg.slice(eq + 1).trim());
  }
  return ok(values);
}

/** Validates the values and turns them into stored fields; an empty prompt or avatar clears it. */
export function agentSettingsFrom(values: AgentValues): Parsed<AgentSettings> {
  const settings: AgentSettings = {};
  for (const key of AGENT_KEYS) {
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
        settings.modelConfig = { model: formatModelSpec(spec) };
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

/** `create NAME key=value…` after the verb: the name, then the settings. */
export function parseAgentCreate(args: readonly string[]): Parsed<{ name: string; settings: AgentSettings }> {
  const [first, ...rest] = args;
  if (first?.includes('=')) return err(`the agent name comes first: create NAME ${first}`);
  const name = parseAgentName(first);
  if (!name.ok) return name;
  const values = parseAgentValues(rest);
  if (!values.ok) return values;
  const settings = agentSettingsFrom(values.value);
  if (!settings.ok) return settings;
  return ok({ name: name.value, settings: settings.value });
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

function isAgentKey(key: string): key is AgentKey {
  return (AGENT_KEYS as readonly string[]).includes(key);
}

/** A value still wrapped in one pair of quotes (the shell kept them, e.g. `'role="x"'`). */
function unquote(value: string): string {
  const close = QUOTE_PAIRS[value[0] ?? ''];
  return value.length >= 2 && close && value.endsWith(close) ? value.slice(1, -1) : value;
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && !/\s/.test(value);
  } catch {
    return false;
  }
}
