/**
 * Every setting agent-bridge reads, validated once with zod. `parseConfig` is pure (tests feed it a
 * plain object); `loadConfig` adds `.env` from the working directory and reads `process.env`.
 * Errors are one line: the variable, what is wrong, an example. Secret values are never echoed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  type AdminRef,
  bool,
  CONFIG_DEFAULTS,
  CONFIG_VARIABLES,
  ConfigError,
  type DatabaseProvider,
  type Env,
  example,
  httpUrl,
  int,
  type LogLevel,
  noTrailingSlash,
  oneOf,
  parseAdmins,
  parseDatabaseUrl,
  parseIdList,
  parseModelGlobs,
  parseModelId,
  parseTrustProxy,
  rule,
  token,
  url,
} from './config-env.ts';
import { decodeSecretKey } from './core/secret-box.ts';
import { defaultModelGlobs, modelAllowed } from './core/tenancy.ts';
import { DEFAULT_MODEL_PRICES, type PriceTable, parseModelPrices } from './usage/prices.ts';

export {
  type AdminRef,
  CONFIG_DEFAULTS,
  CONFIG_VARIABLES,
  ConfigError,
  type ConfigVariable,
  type DatabaseProvider,
  type Env,
  type LogLevel,
  MODEL_PROVIDERS,
  type ModelProvider,
  parseModelId,
} from './config-env.ts';
export type SlackMode = 'http' | 'socket' | 'off';

export interface FileLimitsConfig {
  maxFilesPerMessage: number;
  maxImageBytes: number;
  maxTextChars: number;
  fetchTimeoutMs: number;
}

export interface Config {
  databaseUrl: string;
  databaseProvider: DatabaseProvider;
  redisUrl: string;
  port: number;
  host: string;
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl: string;
    mode: SlackMode;
    /** Teams served; undefined = every team. Anything from another team is ignored. */
    allowedTeams?: string[] | undefined;
  };
  discord: {
    botToken?: string;
    apiUrl: string;
    guildId?: string;
    enabled: boolean;
    /** Guilds served; undefined = every guild. The bot leaves any other. */
    allowedGuilds?: string[] | undefined;
  };
  google: { apiKey?: string; baseUrl: string };
  openaiCompatible: { baseUrl?: string; apiKey?: string };
  /** AGENT_BRIDGE_SECRET_KEY: seals provider keys (base64, 32 bytes); unset = no stored keys. */
  secretKey?: string | undefined;
  /** AGENT_BRIDGE_PREVIOUS_SECRET_KEYS: older keys, kept to open records until `secrets rotate`. */
  previousSecretKeys: string[];
  /** `provider:model`, e.g. `google:gemini-2.5-flash`, `local:llama3.2`, `offline:echo`. */
  defaultModel: string;
  /** `provider:model` globs agents may use (ALLOWED_MODELS; default: the default model's provider). */
  allowedModels: string[];
  admins: AdminRef[];
  agentCreation: 'anyone' | 'admins';
  /** Live agents one workspace (Slack team, Discord guild) may have at most. */
  maxAgentsPerWorkspace: number;
  debounceMs: number;
  contextMessages: number;
  maxAgentHops: number;
  /** Replies per agent per minute; 0 = no limit. */
  agentRateLimitPerMin: number;
  agentMaxConcurrent: number;
  /** Model calls one provider may have running at once across all workers; 0 = no cap. */
  providerMaxConcurrent: number;
  /** Model calls one provider may start per minute across all workers; 0 = no limit. */
  providerRateLimitPerMin: number;
  /** Reply jobs one worker process runs at once (they mostly wait on the model). */
  workerConcurrency: number;
  jobAttempts: number;
  jobBackoffMs: number;
  llmTimeoutMs: number;
  /** The most tokens one model answer may have (passed to the model call). */
  maxOutputTokens: number;
  /** USD per million tokens by model id (MODEL_PRICES over usage/prices.ts defaults): budgets, usage. */
  modelPrices: PriceTable;
  /** The most platform messages one reply is posted as; the last says the rest was cut. */
  maxReplyParts: number;
  /** Files and images into the model's input (MAX_FILES_PER_MESSAGE and friends). */
  files: FileLimitsConfig;
  /** How long a job stays locked to its process: a crashed process's job is taken over after this. */
  jobLockMs: number;
  /** How often the sweeper re-enqueues intents with no live job and replies never delivered. */
  sweepIntervalMs: number;
  /** Platform events being stored at once, at most; past it events are refused (and retried). */
  maxIngestInFlight: number;
  /** Namespace of every Redis key (queues, limits, sweeper): one per deployment sharing a Redis. */
  queuePrefix: string;
  failureMessage: string;
  /** Replies show while the model writes, for agents that did not turn it off (`stream=off`). */
  streamReplies: boolean;
  logLevel: LogLevel;
  /** Guards /admin/queues and /metrics when set (32+ characters). */
  adminToken?: string;
  /** Bull Board may retry, promote, clean and remove jobs; read-only otherwise. */
  adminBoardWrite: boolean;
  /** Express `trust proxy`: whose X-Forwarded-For/-Proto to believe (client IP, HTTPS). */
  trustProxy: boolean | number | string;
}

/** Shorter admin tokens are refused: the token is the only thing between the internet and the board. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

const envSchema = z
  .object({
    DATABASE_URL: rule(
      'DATABASE_URL',
      'file:<path> (SQLite) or postgresql://user:password@host:5432/db (PostgreSQL)',
      parseDatabaseUrl,
    ),
    REDIS_URL: rule('REDIS_URL', 'a redis:// or rediss:// URL', (v) =>
      url(v, ['redis:', 'rediss:']) ? v : undefined,
    ),
    PORT: int('PORT', 1, 65535),
    HOST: rule('HOST', 'a host name or IP address to listen on', (v) =>
      /^[A-Za-z0-9.\-:[\]%]+$/.test(v) ? v : undefined,
    ),
    SLACK_BOT_TOKEN: token(
      'SLACK_BOT_TOKEN',
      'the bot token (xoxb-..., no spaces), not the xapp- app-level token',
      (v) => !v.startsWith('xapp-'),
    ),
    SLACK_SIGNING_SECRET: token(
      'SLACK_SIGNING_SECRET',
      'the signing secret from Basic Information (no spaces)',
    ),
    SLACK_APP_TOKEN: token('SLACK_APP_TOKEN', 'an app-level token starting with xapp- (no spaces)', (v) =>
      v.startsWith('xapp-'),
    ),
    SLACK_API_URL: httpUrl('SLACK_API_URL', (v) => (v.endsWith('/') ? v : `${v}/`)),
    SLACK_ALLOWED_TEAMS: rule(
      'SLACK_ALLOWED_TEAMS',
      'a comma list of Slack team ids',
      parseIdList(/^[A-Za-z0-9_-]{2,64}$/),
    ),
    DISCORD_BOT_TOKEN: token('DISCORD_BOT_TOKEN', 'a bot token without spaces (no "Bot " prefix)'),
    DISCORD_API_URL: httpUrl('DISCORD_API_URL', noTrailingSlash),
    DISCORD_GUILD_ID: rule('DISCORD_GUILD_ID', 'a numeric guild id', (v) =>
      /^\d{1,20}$/.test(v) ? v : undefined,
    ),
    DISCORD_ALLOWED_GUILDS: rule(
      'DISCORD_ALLOWED_GUILDS',
      'a comma list of numeric guild ids',
      parseIdList(/^\d{1,20}$/),
    ),
    GOOGLE_GENERATIVE_AI_API_KEY: token('GOOGLE_GENERATIVE_AI_API_KEY', 'an API key without spaces'),
    GOOGLE_GENERATIVE_AI_BASE_URL: httpUrl('GOOGLE_GENERATIVE_AI_BASE_URL', noTrailingSlash),
    OPENAI_COMPATIBLE_BASE_URL: httpUrl('OPENAI_COMPATIBLE_BASE_URL', noTrailingSlash),
    OPENAI_COMPATIBLE_API_KEY: token('OPENAI_COMPATIBLE_API_KEY', 'an API key without spaces'),
    AGENT_BRIDGE_SECRET_KEY: rule('AGENT_BRIDGE_SECRET_KEY', '32 random bytes in base64', (v) =>
      decodeSecretKey(v) ? v : undefined,
    ),
    AGENT_BRIDGE_PREVIOUS_SECRET_KEYS: rule(
      'AGENT_BRIDGE_PREVIOUS_SECRET_KEYS',
      'a comma list of base64 keys of 32 bytes each',
      (v) => {
        const keys = v
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k !== '');
        return keys.length > 0 && keys.every((k) => decodeSecretKey(k)) ? keys : undefined;
      },
    ),
    DEFAULT_MODEL: rule('DEFAULT_MODEL', 'provider:model with provider google, local or offline', (v) =>
      parseModelId(v) ? v : undefined,
    ),
    ALLOWED_MODELS: rule(
      'ALLOWED_MODELS',
      'a comma list of provider:model globs (provider google, local, offline, a provider record name or *) or @providers',
      parseModelGlobs,
    ),
    AGENT_BRIDGE_ADMINS: rule(
      'AGENT_BRIDGE_ADMINS',
      'a comma list of slack:<user id> or discord:<user id>',
      parseAdmins,
    ),
    AGENT_CREATION: oneOf('AGENT_CREATION', ['anyone', 'admins'] as const),
    MAX_AGENTS_PER_WORKSPACE: int('MAX_AGENTS_PER_WORKSPACE', 1, 100_000),
    DEBOUNCE_MS: int('DEBOUNCE_MS', 0, 3_600_000),
    CONTEXT_MESSAGES: int('CONTEXT_MESSAGES', 1, 200),
    MAX_AGENT_HOPS: int('MAX_AGENT_HOPS', 0, 100),
    AGENT_RATE_LIMIT_PER_MIN: int('AGENT_RATE_LIMIT_PER_MIN', 0, 100_000),
    AGENT_MAX_CONCURRENT: int('AGENT_MAX_CONCURRENT', 1, 100_000),
    PROVIDER_MAX_CONCURRENT: int('PROVIDER_MAX_CONCURRENT', 0, 100_000),
    PROVIDER_RATE_LIMIT_PER_MIN: int('PROVIDER_RATE_LIMIT_PER_MIN', 0, 1_000_000),
    WORKER_CONCURRENCY: int('WORKER_CONCURRENCY', 1, 10_000),
    JOB_ATTEMPTS: int('JOB_ATTEMPTS', 1, 100),
    JOB_BACKOFF_MS: int('JOB_BACKOFF_MS', 0, 3_600_000),
    LLM_TIMEOUT_MS: int('LLM_TIMEOUT_MS', 1, 3_600_000),
    MAX_OUTPUT_TOKENS: int('MAX_OUTPUT_TOKENS', 1, 1_000_000),
    MODEL_PRICES: rule(
      'MODEL_PRICES',
      'a JSON object {"model id": {"input": USD per 1M tokens, "output": USD per 1M tokens}}',
      (v) => {
        const prices = parseModelPrices(v);
        return prices.ok ? prices.value : undefined;
      },
    ),
    MAX_REPLY_PARTS: int('MAX_REPLY_PARTS', 1, 100),
    MAX_FILES_PER_MESSAGE: int('MAX_FILES_PER_MESSAGE', 0, 100),
    MAX_IMAGE_BYTES: int('MAX_IMAGE_BYTES', 1000, 20_000_000),
    MAX_FILE_TEXT_CHARS: int('MAX_FILE_TEXT_CHARS', 100, 1_000_000),
    FILE_FETCH_TIMEOUT_MS: int('FILE_FETCH_TIMEOUT_MS', 100, 600_000),
    JOB_LOCK_MS: int('JOB_LOCK_MS', 1000, 3_600_000),
    SWEEP_INTERVAL_MS: int('SWEEP_INTERVAL_MS', 100, 3_600_000),
    MAX_INGEST_IN_FLIGHT: int('MAX_INGEST_IN_FLIGHT', 1, 1_000_000),
    AGENT_BRIDGE_QUEUE_PREFIX: rule('AGENT_BRIDGE_QUEUE_PREFIX', 'letters, digits, _ or - (1-32)', (v) =>
      /^[A-Za-z0-9_-]{1,32}$/.test(v) ? v : undefined,
    ),
    FAILURE_MESSAGE: rule('FAILURE_MESSAGE', 'at most 2000 characters', (v) =>
      v.length <= 2000 ? v : undefined,
    ),
    LOG_LEVEL: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    ADMIN_TOKEN: token(
      'ADMIN_TOKEN',
      `at least ${MIN_ADMIN_TOKEN_LENGTH} random characters without spaces`,
      (v) => v.length >= MIN_ADMIN_TOKEN_LENGTH,
    ),
    ADMIN_BOARD_WRITE: bool('ADMIN_BOARD_WRITE'),
    STREAM_REPLIES: bool('STREAM_REPLIES'),
    TRUST_PROXY: rule(
      'TRUST_PROXY',
      'true, false, a number of proxy hops, or a comma list of proxy addresses/subnets',
      parseTrustProxy,
    ),
  })
  .superRefine((e, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
      fail(
        `SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set (or set SLACK_APP_TOKEN for Socket Mode); ${example('SLACK_SIGNING_SECRET')}`,
      );
    }
    for (const other of ['SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET'] as const) {
      if (e[other] && !e.SLACK_BOT_TOKEN) {
        fail(`SLACK_BOT_TOKEN is required when ${other} is set; ${example('SLACK_BOT_TOKEN')}`);
      }
    }
    const model = e.DEFAULT_MODEL ? parseModelId(e.DEFAULT_MODEL) : undefined;
    if (model?.provider === 'google' && !e.GOOGLE_GENERATIVE_AI_API_KEY) {
      fail(
        `DEFAULT_MODEL ${e.DEFAULT_MODEL} needs GOOGLE_GENERATIVE_AI_API_KEY: set the key or use offline:echo; example: DEFAULT_MODEL=offline:echo`,
      );
    }
    const defaultModel = e.DEFAULT_MODEL ?? defaultModelOf(e.GOOGLE_GENERATIVE_AI_API_KEY);
    if (e.ALLOWED_MODELS && !modelAllowed(e.ALLOWED_MODELS, defaultModel)) {
      fail(
        `ALLOWED_MODELS must allow the default model ${defaultModel} (agents without a model, and agents whose model is no longer allowed, answer with it); example: ALLOWED_MODELS=${defaultModel},local:*`,
      );
    }
    if (model?.provider === 'local' && !e.OPENAI_COMPATIBLE_BASE_URL) {
      fail(
        `DEFAULT_MODEL ${e.DEFAULT_MODEL} needs OPENAI_COMPATIBLE_BASE_URL (your Ollama/llama.cpp/vLLM server); ${example('OPENAI_COMPATIBLE_BASE_URL')}`,
      );
    }
  });

function defaultModelOf(googleKey: string | undefined): string {
  return googleKey ? CONFIG_DEFAULTS.DEFAULT_MODEL_WITH_GOOGLE_KEY : CONFIG_DEFAULTS.DEFAULT_MODEL;
}

/** Validates an environment (empty strings count as unset). Pure: throws ConfigError, one line per problem. */
export function parseConfig(env: Env): Config {
  const cleaned: Env = {};
  for (const name of CONFIG_VARIABLES) {
    const v = env[name]?.trim();
    cleaned[name] = v === '' ? undefined : v;
  }
  const result = envSchema.safeParse(cleaned);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => i.message));
  const e = result.data;
  const D = CONFIG_DEFAULTS;
  const database = e.DATABASE_URL ?? { url: D.DATABASE_URL, provider: 'sqlite' as const };
  const defaultModel = e.DEFAULT_MODEL ?? defaultModelOf(e.GOOGLE_GENERATIVE_AI_API_KEY);
  const slackMode: SlackMode = !e.SLACK_BOT_TOKEN ? 'off' : e.SLACK_APP_TOKEN ? 'socket' : 'http';
  return {
    databaseUrl: database.url,
    databaseProvider: database.provider,
    redisUrl: e.REDIS_URL ?? D.REDIS_URL,
    port: e.PORT ?? D.PORT,
    host: e.HOST ?? D.HOST,
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL ?? D.SLACK_API_URL,
      mode: slackMode,
      allowedTeams: e.SLACK_ALLOWED_TEAMS,
    },
    discord: {
      botToken: e.DISCORD_BOT_TOKEN,
      apiUrl: e.DISCORD_API_URL ?? D.DISCORD_API_URL,
      guildId: e.DISCORD_GUILD_ID,
      enabled: e.DISCORD_BOT_TOKEN !== undefined,
      allowedGuilds: e.DISCORD_ALLOWED_GUILDS,
    },
    google: {
      apiKey: e.GOOGLE_GENERATIVE_AI_API_KEY,
      baseUrl: e.GOOGLE_GENERATIVE_AI_BASE_URL ?? D.GOOGLE_GENERATIVE_AI_BASE_URL,
    },
    openaiCompatible: { baseUrl: e.OPENAI_COMPATIBLE_BASE_URL, apiKey: e.OPENAI_COMPATIBLE_API_KEY },
    secretKey: e.AGENT_BRIDGE_SECRET_KEY,
    previousSecretKeys: e.AGENT_BRIDGE_PREVIOUS_SECRET_KEYS ?? [],
    defaultModel,
    allowedModels: e.ALLOWED_MODELS ?? defaultModelGlobs(defaultModel),
    admins: e.AGENT_BRIDGE_ADMINS ?? [],
    agentCreation: e.AGENT_CREATION ?? D.AGENT_CREATION,
    maxAgentsPerWorkspace: e.MAX_AGENTS_PER_WORKSPACE ?? D.MAX_AGENTS_PER_WORKSPACE,
    debounceMs: e.DEBOUNCE_MS ?? D.DEBOUNCE_MS,
    contextMessages: e.CONTEXT_MESSAGES ?? D.CONTEXT_MESSAGES,
    maxAgentHops: e.MAX_AGENT_HOPS ?? D.MAX_AGENT_HOPS,
    agentRateLimitPerMin: e.AGENT_RATE_LIMIT_PER_MIN ?? D.AGENT_RATE_LIMIT_PER_MIN,
    agentMaxConcurrent: e.AGENT_MAX_CONCURRENT ?? D.AGENT_MAX_CONCURRENT,
    providerMaxConcurrent: e.PROVIDER_MAX_CONCURRENT ?? D.PROVIDER_MAX_CONCURRENT,
    providerRateLimitPerMin: e.PROVIDER_RATE_LIMIT_PER_MIN ?? D.PROVIDER_RATE_LIMIT_PER_MIN,
    workerConcurrency: e.WORKER_CONCURRENCY ?? D.WORKER_CONCURRENCY,
    jobAttempts: e.JOB_ATTEMPTS ?? D.JOB_ATTEMPTS,
    jobBackoffMs: e.JOB_BACKOFF_MS ?? D.JOB_BACKOFF_MS,
    llmTimeoutMs: e.LLM_TIMEOUT_MS ?? D.LLM_TIMEOUT_MS,
    maxOutputTokens: e.MAX_OUTPUT_TOKENS ?? D.MAX_OUTPUT_TOKENS,
    modelPrices: e.MODEL_PRICES ?? DEFAULT_MODEL_PRICES,
    maxReplyParts: e.MAX_REPLY_PARTS ?? D.MAX_REPLY_PARTS,
    files: {
      maxFilesPerMessage: e.MAX_FILES_PER_MESSAGE ?? D.MAX_FILES_PER_MESSAGE,
      maxImageBytes: e.MAX_IMAGE_BYTES ?? D.MAX_IMAGE_BYTES,
      maxTextChars: e.MAX_FILE_TEXT_CHARS ?? D.MAX_FILE_TEXT_CHARS,
      fetchTimeoutMs: e.FILE_FETCH_TIMEOUT_MS ?? D.FILE_FETCH_TIMEOUT_MS,
    },
    jobLockMs: e.JOB_LOCK_MS ?? D.JOB_LOCK_MS,
    sweepIntervalMs: e.SWEEP_INTERVAL_MS ?? D.SWEEP_INTERVAL_MS,
    maxIngestInFlight: e.MAX_INGEST_IN_FLIGHT ?? D.MAX_INGEST_IN_FLIGHT,
    queuePrefix: e.AGENT_BRIDGE_QUEUE_PREFIX ?? D.AGENT_BRIDGE_QUEUE_PREFIX,
    failureMessage: e.FAILURE_MESSAGE ?? D.FAILURE_MESSAGE,
    streamReplies: e.STREAM_REPLIES ?? D.STREAM_REPLIES,
    logLevel: e.LOG_LEVEL ?? D.LOG_LEVEL,
    adminToken: e.ADMIN_TOKEN,
    adminBoardWrite: e.ADMIN_BOARD_WRITE ?? D.ADMIN_BOARD_WRITE,
    trustProxy: e.TRUST_PROXY ?? D.TRUST_PROXY,
  };
}

/** Reads `.env` from `cwd` when present (variables already in the environment win), then process.env. */
export function loadConfig(cwd: string = process.cwd()): Config {
  const file = join(cwd, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
  return parseConfig(process.env);
}
