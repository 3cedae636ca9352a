/**
 * The variable table behind src/config.ts: defaults, examples, which values are secret, and the
 * zod building blocks that turn one raw variable into a typed value or a one-line error.
 */
import { z } from 'zod';
import { isProviderName, STORED_PROVIDERS_GLOB } from './core/provider-names.ts';

export type Env = Record<string, string | undefined>;
export type DatabaseProvider = 'sqlite' | 'postgresql';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const MODEL_PROVIDERS = ['google', 'local', 'offline'] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];
export interface AdminRef {
  platform: 'slack' | 'discord';
  userId: string;
}

export const CONFIG_DEFAULTS = {
  DATABASE_URL: 'file:./data/agent-bridge.db',
  REDIS_URL: 'redis://127.0.0.1:6379',
  PORT: 3000,
  HOST: '127.0.0.1',
  SLACK_API_URL: 'https://slack.com/api/',
  DISCORD_API_URL: 'https://discord.com/api',
  GOOGLE_GENERATIVE_AI_BASE_URL: 'https://generativelanguage.googleapis.com/v1beta',
  DEFAULT_MODEL_WITH_GOOGLE_KEY: 'google:gemini-2.5-flash',
  DEFAULT_MODEL: 'offline:echo',
  AGENT_CREATION: 'anyone',
  MAX_AGENTS_PER_WORKSPACE: 50,
  DEBOUNCE_MS: 2000,
  CONTEXT_MESSAGES: 20,
  MAX_AGENT_HOPS: 3,
  AGENT_RATE_LIMIT_PER_MIN: 10,
  AGENT_MAX_CONCURRENT: 4,
  PROVIDER_MAX_CONCURRENT: 0,
  PROVIDER_RATE_LIMIT_PER_MIN: 0,
  WORKER_CONCURRENCY: 1000,
  JOB_ATTEMPTS: 3,
  JOB_BACKOFF_MS: 1000,
  LLM_TIMEOUT_MS: 60000,
  MAX_OUTPUT_TOKENS: 2048,
  MAX_REPLY_PARTS: 5,
  MAX_FILES_PER_MESSAGE: 4,
  MAX_IMAGE_BYTES: 5_000_000,
  MAX_FILE_TEXT_CHARS: 20_000,
  FILE_FETCH_TIMEOUT_MS: 10_000,
  STREAM_REPLIES: true,
  JOB_LOCK_MS: 30000,
  SWEEP_INTERVAL_MS: 30000,
  MAX_INGEST_IN_FLIGHT: 2000,
  AGENT_BRIDGE_QUEUE_PREFIX: 'ab',
  FAILURE_MESSAGE: "Sorry, I couldn't answer that just now. Please try again in a moment.",
  LOG_LEVEL: 'info',
  ADMIN_BOARD_WRITE: false,
  TRUST_PROXY: false,
} as const;

/** A good value for each variable, quoted in error messages. */
const EXAMPLES = {
  DATABASE_URL: 'file:./data/agent-bridge.db',
  REDIS_URL: 'redis://127.0.0.1:6379',
  PORT: '3000',
  HOST: '0.0.0.0',
  SLACK_BOT_TOKEN: 'xoxb-1234-5678-abcdef',
  SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543',
  SLACK_APP_TOKEN: 'xapp-1-A0123-4567-abcdef',
  SLACK_API_URL: 'https://slack.com/api/',
  SLACK_ALLOWED_TEAMS: 'T0123ABCD,T0456EFGH',
  DISCORD_BOT_TOKEN: 'MTIzNDU2Nzg5.GaBcDe.xyz',
  DISCORD_API_URL: 'https://discord.com/api',
  DISCORD_GUILD_ID: '123456789012345678',
  DISCORD_ALLOWED_GUILDS: '123456789012345678,234567890123456789',
  GOOGLE_GENERATIVE_AI_API_KEY: 'AIzaSy...your-key',
  GOOGLE_GENERATIVE_AI_BASE_URL: 'https://generativelanguage.googleapis.com/v1beta',
  OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1',
  OPENAI_COMPATIBLE_API_KEY: 'sk-local-key',
  AGENT_BRIDGE_SECRET_KEY: '"$(openssl rand -base64 32)"',
  AGENT_BRIDGE_PREVIOUS_SECRET_KEYS: 'oldKeyBase64...=,olderKeyBase64...=',
  DEFAULT_MODEL: 'offline:echo',
  ALLOWED_MODELS: 'google:gemini-*,local:*',
  AGENT_BRIDGE_ADMINS: 'slack:U0123ABCD,discord:123456789012345678',
  AGENT_CREATION: 'admins',
  MAX_AGENTS_PER_WORKSPACE: '50',
  DEBOUNCE_MS: '2000',
  CONTEXT_MESSAGES: '20',
  MAX_AGENT_HOPS: '3',
  AGENT_RATE_LIMIT_PER_MIN: '10',
  AGENT_MAX_CONCURRENT: '4',
  PROVIDER_MAX_CONCURRENT: '50',
  PROVIDER_RATE_LIMIT_PER_MIN: '1000',
  WORKER_CONCURRENCY: '1000',
  JOB_ATTEMPTS: '3',
  JOB_BACKOFF_MS: '1000',
  LLM_TIMEOUT_MS: '60000',
  MAX_OUTPUT_TOKENS: '2048',
  MODEL_PRICES: '\'{"gemini-2.5-flash":{"input":0.3,"output":2.5}}\'',
  MAX_REPLY_PARTS: '5',
  MAX_FILES_PER_MESSAGE: '4',
  MAX_IMAGE_BYTES: '5000000',
  MAX_FILE_TEXT_CHARS: '20000',
  FILE_FETCH_TIMEOUT_MS: '10000',
  STREAM_REPLIES: 'false',
  JOB_LOCK_MS: '30000',
  SWEEP_INTERVAL_MS: '30000',
  MAX_INGEST_IN_FLIGHT: '2000',
  AGENT_BRIDGE_QUEUE_PREFIX: 'ab',
  FAILURE_MESSAGE: '"The agent is unavailable, please retry."',
  LOG_LEVEL: 'debug',
  ADMIN_TOKEN: '"$(openssl rand -base64 32)"',
  ADMIN_BOARD_WRITE: 'true',
  TRUST_PROXY: 'loopback',
} as const;
export type ConfigVariable = keyof typeof EXAMPLES;
/** Every variable the service reads, in documentation order. */
export const CONFIG_VARIABLES = Object.keys(EXAMPLES) as ConfigVariable[];

/** Values that may be (or may carry) credentials: never echoed in an error. */
const HIDDEN = new Set<ConfigVariable>([
  'DATABASE_URL',
  'REDIS_URL',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'DISCORD_BOT_TOKEN',
  'GOOGLE_GENERATIVE_AI_API_KEY',
  'OPENAI_COMPATIBLE_API_KEY',
  'AGENT_BRIDGE_SECRET_KEY',
  'AGENT_BRIDGE_PREVIOUS_SECRET_KEYS',
  'ADMIN_TOKEN',
]);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Every problem found (the message is the first). */
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems[0] ?? 'invalid configuration');
    this.problems = problems;
  }
}

function shown(name: ConfigVariable, raw: string): string {
  if (HIDDEN.has(name) || (name.endsWith('_URL') && raw.includes('@'))) return '(value hidden)';
  return `(got ${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw)})`;
}
export const example = (name: ConfigVariable) => `example: ${name}=${EXAMPLES[name]}`;
function problem(name: ConfigVariable, expectation: string, raw: string): string {
  return `${name} must be ${expectation} ${shown(name, raw)}; ${example(name)}`;
}

/** One variable: unset stays undefined, a bad value becomes a one-line issue. */
export function rule<T>(name: ConfigVariable, expectation: string, parse: (v: string) => T | undefined) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T | undefined => {
      if (raw === undefined) return undefined;
      const value = parse(raw);
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: problem(name, expectation, raw) });
        return z.NEVER;
      }
      return value;
    });
}

export const int = (name: ConfigVariable, min: number, max: number) =>
  rule(name, `a whole number from ${min} to ${max}`, (v) => {
    const n = /^\d{1,10}$/.test(v) ? Number(v) : Number.NaN;
    return n >= min && n <= max ? n : undefined;
  });

export function url(v: string, protocols: string[]): URL | undefined {
  try {
    const u = new URL(v);
    return protocols.includes(u.protocol) && u.host !== '' ? u : undefined;
  } catch {
    return undefined;
  }
}
export const httpUrl = (name: ConfigVariable, normalize: (v: string) => string) =>
  rule(name, 'an http(s) URL', (v) => (url(v, ['http:', 'https:']) ? normalize(v) : undefined));
export const noTrailingSlash = (v: string) => v.replace(/\/+$/, '');
export const token = (name: ConfigVariable, expectation: string, ok: (v: string) => boolean = () => true) =>
  rule(name, expectation, (v) => (/^\S+$/.test(v) && ok(v) ? v : undefined));
export const bool = (name: ConfigVariable) =>
  rule(name, 'true or false', (v) => {
    const lower = v.toLowerCase();
    return lower === 'true' ? true : lower === 'false' ? false : undefined;
  });
export const oneOf = <T extends string>(name: ConfigVariable, values: readonly T[]) =>
  rule(name, `one of ${values.join(', ')}`, (v) => values.find((x) => x === v.toLowerCase()));

/** `provider:model` → its parts, or undefined when malformed or the provider is unknown. */
export function parseModelId(id: string): { provider: ModelProvider; model: string } | undefined {
  const m = /^([a-z-]+):(\S+)$/.exec(id.trim());
  const provider = MODEL_PROVIDERS.find((p) => p === m?.[1]);
  return provider && m?.[2] ? { provider, model: m[2] } : undefined;
}

export function parseDatabaseUrl(v: string): { url: string; provider: DatabaseProvider } | undefined {
  if (v.startsWith('file:')) return v.length > 'file:'.length ? { url: v, provider: 'sqlite' } : undefined;
  return url(v, ['postgresql:', 'postgres:']) ? { url: v, provider: 'postgresql' } : undefined;
}

export function parseAdmins(v: string): AdminRef[] | undefined {
  const admins: AdminRef[] = [];
  for (const entry of v.split(',').map((s) => s.trim())) {
    if (entry === '') continue;
    const m = /^(slack|discord):([^\s:]+)$/i.exec(entry);
    if (!m?.[1] || !m[2]) return undefined;
    const admin = { platform: m[1].toLowerCase() as AdminRef['platform'], userId: m[2] };
    if (!admins.some((a) => a.platform === admin.platform && a.userId === admin.userId)) admins.push(admin);
  }
  return admins;
}

/**
 * Express `trust proxy`: true/false, a number of proxy hops, or a comma list of addresses, subnets
 * and the names loopback, linklocal, uniquelocal.
 */
export function parseTrustProxy(v: string): boolean | number | string | undefined {
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const entries = v.split(',').map((s) => s.trim());
  const ok = entries.every(
    (e) => /^(loopback|linklocal|uniquelocal)$/i.test(e) || /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(e),
  );
  return ok && entries.length > 0 ? entries.join(',') : undefined;
}

/** A comma list of ids (`T0123,T0456`), each matching `id`; duplicates dropped, at least one. */
export function parseIdList(id: RegExp): (v: string) => string[] | undefined {
  return (v) => {
    const ids = v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (ids.length === 0 || !ids.every((s) => id.test(s))) return undefined;
    return [...new Set(ids)];
  };
}

/**
 * A comma list of `provider:pattern` globs (`google:gemini-*`, `local:*`, `*` for every model):
 * the provider is a known one or `*`; `*` in the pattern stands for any characters.
 */
export function parseModelGlobs(v: string): string[] | undefined {
  const globs: string[] = [];
  for (const entry of v.split(',').map((s) => s.trim())) {
    if (entry === '') continue;
    const glob = entry === '*' ? '*:*' : entry;
    if (glob === STORED_PROVIDERS_GLOB) {
      if (!globs.includes(glob)) globs.push(glob);
      continue;
    }
    const m = /^([a-z0-9*-]+):(\S+)$/.exec(glob);
    const provider = m?.[1];
    // A built-in, `*`, or the name of a provider record (which may be added later).
    if (!provider || (provider !== '*' && !isProviderName(provider.replace(/\*/g, 'x')))) return undefined;
    if (!globs.includes(glob)) globs.push(glob);
  }
  return globs.length > 0 ? globs : undefined;
}
