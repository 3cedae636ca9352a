import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONFIG_VARIABLES,
  type Config,
  ConfigError,
  type Env,
  loadConfig,
  parseConfig,
  parseModelId,
} from '../../src/config.ts';
import { configSecrets, exposureProblem, isLoopbackHost, platformStatus } from '../../src/config-checks.ts';
import { DEFAULT_MODEL_PRICES } from '../../src/usage/prices.ts';

/** Exactly the shortest ADMIN_TOKEN accepted. */
const ADMIN_32 = 'a'.repeat(16) + 'B'.repeat(16);
const SLACK_HTTP = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'signsecret123' };

function errorOf(env: Env): ConfigError {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('parseConfig defaults', () => {
  it('gives every documented default for an empty environment', () => {
    const expected: Config = {
      databaseUrl: 'file:./data/agent-bridge.db',
      databaseProvider: 'sqlite',
      redisUrl: 'redis://127.0.0.1:6379',
      port: 3000,
      host: '127.0.0.1',
      slack: {
        botToken: undefined,
        signingSecret: undefined,
        appToken: undefined,
        apiUrl: 'https://slack.com/api/',
        mode: 'off',
        allowedTeams: undefined,
      },
      discord: {
        botToken: undefined,
        apiUrl: 'https://discord.com/api',
        guildId: undefined,
        enabled: false,
        allowedGuilds: undefined,
      },
      google: { apiKey: undefined, baseUrl: 'https://generativelanguage.googleapis.com/v1beta' },
      openaiCompatible: { baseUrl: undefined, apiKey: undefined },
      secretKey: undefined,
      previousSecretKeys: [],
      defaultModel: 'offline:echo',
      allowedModels: ['offline:*', '@providers'],
      admins: [],
      agentCreation: 'anyone',
      maxAgentsPerWorkspace: 50,
      debounceMs: 2000,
      contextMessages: 20,
      maxAgentHops: 3,
      agentRateLimitPerMin: 10,
      agentMaxConcurrent: 4,
      providerMaxConcurrent: 0,
      providerRateLimitPerMin: 0,
      workerConcurrency: 1000,
      jobAttempts: 3,
      jobBackoffMs: 1000,
      llmTimeoutMs: 60000,
      maxOutputTokens: 2048,
      modelPrices: DEFAULT_MODEL_PRICES,
      maxReplyParts: 5,
      files: {
        maxFilesPerMessage: 4,
        maxImageBytes: 5_000_000,
        maxTextChars: 20_000,
        fetchTimeoutMs: 10_000,
      },
      jobLockMs: 30000,
      sweepIntervalMs: 30000,
      maxIngestInFlight: 2000,
      queuePrefix: 'ab',
      failureMessage: "Sorry, I couldn't answer that just now. Please try again in a moment.",
      logLevel: 'info',
      adminToken: undefined,
      adminBoardWrite: false,
      streamReplies: true,
      trustProxy: false,
    };
    expect(parseConfig({})).toEqual(expected);
  });

  it('treats empty and blank strings as unset', () => {
    const blank = Object.fromEntries(CONFIG_VARIABLES.map((name, i) => [name, i % 2 ? '' : '   ']));
    expect(parseConfig(blank)).toEqual(parseConfig({}));
  });

  it('defaults the model to Gemini when a Gemini key is set', () => {
    expect(parseConfig({ GOOGLE_GENERATIVE_AI_API_KEY: 'AIzaKey123' }).defaultModel).toBe(
      'google:gemini-2.5-flash',
    );
  });

  it('ignores variables it does not know', () => {
    expect(parseConfig({ PATH: '/usr/bin', UNRELATED: 'x' }).port).toBe(3000);
  });
});

describe('parseConfig good values', () => {
  const cases: [string, Env, (c: Config) => unknown, unknown][] = [
    [
      'sqlite url',
      { DATABASE_URL: 'file:/var/lib/ab.db' },
      (c) => [c.databaseUrl, c.databaseProvider],
      ['file:/var/lib/ab.db', 'sqlite'],
    ],
    [
      'postgresql url',
      { DATABASE_URL: 'postgresql://u:p@db:5432/ab' },
      (c) => c.databaseProvider,
      'postgresql',
    ],
    ['postgres url', { DATABASE_URL: 'postgres://db/ab' }, (c) => c.databaseProvider, 'postgresql'],
    [
      'rediss url',
      { REDIS_URL: 'rediss://:pw@cache:6380/1' },
      (c) => c.redisUrl,
      'rediss://:pw@cache:6380/1',
    ],
    ['port', { PORT: '8080' }, (c) => c.port, 8080],
    ['port trimmed', { PORT: ' 8081 ' }, (c) => c.port, 8081],
    ['host', { HOST: '0.0.0.0' }, (c) => c.host, '0.0.0.0'],
    ['ipv6 host', { HOST: '::' }, (c) => c.host, '::'],
    [
      'slack api url gets its slash',
      { SLACK_API_URL: 'http://127.0.0.1:9000/api' },
      (c) => c.slack.apiUrl,
      'http://127.0.0.1:9000/api/',
    ],
    [
      'discord api url loses its slash',
      { DISCORD_API_URL: 'http://127.0.0.1:9001/api/' },
      (c) => c.discord.apiUrl,
      'http://127.0.0.1:9001/api',
    ],
    [
      'discord',
      { DISCORD_BOT_TOKEN: 'MTIz.abc.def', DISCORD_GUILD_ID: '123456789012345678' },
      (c) => c.discord,
      {
        botToken: 'MTIz.abc.def',
        apiUrl: 'https://discord.com/api',
        guildId: '123456789012345678',
        enabled: true,
      },
    ],
    [
      'google',
      {
        GOOGLE_GENERATIVE_AI_API_KEY: 'AIzaKey123',
        GOOGLE_GENERATIVE_AI_BASE_URL: 'http://127.0.0.1:7000/v1beta/',
      },
      (c) => c.google,
      { apiKey: 'AIzaKey123', baseUrl: 'http://127.0.0.1:7000/v1beta' },
    ],
    [
      'local model',
      { OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1', DEFAULT_MODEL: 'local:llama3.2' },
      (c) => [c.defaultModel, c.openaiCompatible.baseUrl],
      ['local:llama3.2', 'http://127.0.0.1:11434/v1'],
    ],
    [
      'explicit offline model with a key',
      { GOOGLE_GENERATIVE_AI_API_KEY: 'AIzaKey123', DEFAULT_MODEL: 'offline:echo' },
      (c) => c.defaultModel,
      'offline:echo',
    ],
    [
      'admins',
      { AGENT_BRIDGE_ADMINS: 'slack:U01ABC, Discord:123 ,,slack:U01ABC' },
      (c) => c.admins,
      [
        { platform: 'slack', userId: 'U01ABC' },
        { platform: 'discord', userId: '123' },
      ],
    ],
    ['agent creation', { AGENT_CREATION: 'Admins' }, (c) => c.agentCreation, 'admins'],
    ['debounce 0', { DEBOUNCE_MS: '0' }, (c) => c.debounceMs, 0],
    ['context 200', { CONTEXT_MESSAGES: '200' }, (c) => c.contextMessages, 200],
    ['hops 0', { MAX_AGENT_HOPS: '0' }, (c) => c.maxAgentHops, 0],
    ['no rate limit', { AGENT_RATE_LIMIT_PER_MIN: '0' }, (c) => c.agentRateLimitPerMin, 0],
    ['concurrency', { AGENT_MAX_CONCURRENT: '16' }, (c) => c.agentMaxConcurrent, 16],
    ['provider cap', { PROVIDER_MAX_CONCURRENT: '64' }, (c) => c.providerMaxConcurrent, 64],
    ['provider rate', { PROVIDER_RATE_LIMIT_PER_MIN: '1500' }, (c) => c.providerRateLimitPerMin, 1500],
    ['worker concurrency', { WORKER_CONCURRENCY: '1000' }, (c) => c.workerConcurrency, 1000],
    ['attempts 1', { JOB_ATTEMPTS: '1' }, (c) => c.jobAttempts, 1],
    ['backoff', { JOB_BACKOFF_MS: '250' }, (c) => c.jobBackoffMs, 250],
    ['llm timeout', { LLM_TIMEOUT_MS: '5000' }, (c) => c.llmTimeoutMs, 5000],
    ['failure message', { FAILURE_MESSAGE: 'Nope, try later.' }, (c) => c.failureMessage, 'Nope, try later.'],
    ['log level', { LOG_LEVEL: 'SILENT' }, (c) => c.logLevel, 'silent'],
    ['admin token', { ADMIN_TOKEN: ADMIN_32 }, (c) => c.adminToken, ADMIN_32],
    ['replies stream by default', {}, (c) => c.streamReplies, true],
    ['streaming off', { STREAM_REPLIES: 'false' }, (c) => c.streamReplies, false],
    ['board read-only', {}, (c) => c.adminBoardWrite, false],
    ['board writable', { ADMIN_BOARD_WRITE: 'TRUE' }, (c) => c.adminBoardWrite, true],
    ['trust proxy hops', { TRUST_PROXY: '1' }, (c) => c.trustProxy, 1],
    ['trust proxy all', { TRUST_PROXY: 'true' }, (c) => c.trustProxy, true],
    ['trust proxy list', { TRUST_PROXY: 'loopback, 10.0.0.0/8' }, (c) => c.trustProxy, 'loopback,10.0.0.0/8'],
  ];
  it.each(cases)('%s', (_name, env, pick, expected) => {
    expect(pick(parseConfig(env))).toEqual(expected);
  });
});

describe('tenancy settings', () => {
  it('reads the allowed teams and guilds as lists (trimmed, duplicates dropped)', () => {
    const config = parseConfig({
      SLACK_ALLOWED_TEAMS: 'T0123ABCD, T0456EFGH,T0123ABCD',
      DISCORD_ALLOWED_GUILDS: '123456789012345678',
    });
    expect(config.slack.allowedTeams).toEqual(['T0123ABCD', 'T0456EFGH']);
    expect(config.discord.allowedGuilds).toEqual(['123456789012345678']);
  });

  it.each([
    [{}, ['offline:*', '@providers']],
    [{ GOOGLE_GENERATIVE_AI_API_KEY: 'AIzaKey123' }, ['google:*', '@providers']],
    [
      { OPENAI_COMPATIBLE_BASE_URL: 'http://127.0.0.1:11434/v1', DEFAULT_MODEL: 'local:llama3.2' },
      ['local:*', '@providers'],
    ],
    [
      { ALLOWED_MODELS: 'offline:*,team-claude:claude-*,@providers' },
      ['offline:*', 'team-claude:claude-*', '@providers'],
    ],
    [
      { GOOGLE_GENERATIVE_AI_API_KEY: 'AIzaKey123', ALLOWED_MODELS: 'google:gemini-*, local:*,*' },
      ['google:gemini-*', 'local:*', '*:*'],
    ],
  ])('ALLOWED_MODELS for %o is %o', (env, expected) => {
    expect(parseConfig(env).allowedModels).toEqual(expected);
  });

  it('refuses ALLOWED_MODELS that leave out the default model', () => {
    const err = errorOf({ GOOGLE_GENERATIVE_AI_API_KEY: 'AIzaKey123', ALLOWED_MODELS: 'local:*' });
    expect(err.message).toBe(
      'ALLOWED_MODELS must allow the default model google:gemini-2.5-flash (agents without a model, and agents whose model is no longer allowed, answer with it); example: ALLOWED_MODELS=google:gemini-2.5-flash,local:*',
    );
  });

  it('reads MAX_AGENTS_PER_WORKSPACE', () => {
    expect(parseConfig({ MAX_AGENTS_PER_WORKSPACE: '3' }).maxAgentsPerWorkspace).toBe(3);
  });
});

describe('slack mode', () => {
  const cases: [Env, Config['slack']['mode']][] = [
    [{}, 'off'],
    [SLACK_HTTP, 'http'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-abc' }, 'socket'],
    [{ ...SLACK_HTTP, SLACK_APP_TOKEN: 'xapp-1-abc' }, 'socket'],
  ];
  it.each(cases)('%j -> %s', (env, mode) => {
    expect(parseConfig(env).slack.mode).toBe(mode);
  });
});

describe('parseConfig bad values', () => {
  const cases: [name: string, value: string, expectation: string][] = [
    ['PORT', 'abc', 'PORT must be a whole number from 1 to 65535 (got "abc"); example: PORT=3000'],
    ['PORT', '12abc', 'whole number'],
    ['PORT', '0', 'from 1 to 65535'],
    ['PORT', '65536', 'from 1 to 65535'],
    ['PORT', '3000.5', 'whole number'],
    ['PORT', '1e3', 'whole number'],
    ['DEBOUNCE_MS', '-1', 'whole number from 0'],
    ['CONTEXT_MESSAGES', '0', 'from 1 to 200'],
    ['CONTEXT_MESSAGES', '201', 'from 1 to 200'],
    ['MAX_AGENT_HOPS', 'three', 'whole number'],
    ['AGENT_RATE_LIMIT_PER_MIN', '-5', 'whole number'],
    ['AGENT_MAX_CONCURRENT', '0', 'from 1'],
    ['PROVIDER_MAX_CONCURRENT', '-1', 'whole number from 0'],
    ['WORKER_CONCURRENCY', '0', 'from 1 to 10000'],
    ['WORKER_CONCURRENCY', '20000', 'from 1 to 10000'],
    ['JOB_ATTEMPTS', '0', 'from 1'],
    ['JOB_BACKOFF_MS', '1s', 'whole number'],
    ['LLM_TIMEOUT_MS', '0', 'from 1'],
    ['AGENT_CREATION', 'everyone', 'one of anyone, admins'],
    ['LOG_LEVEL', 'verbose', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['HOST', 'http://localhost', 'host name or IP address'],
    ['SLACK_API_URL', 'slack.com/api', 'an http(s) URL'],
    ['DISCORD_API_URL', 'ftp://discord.com/api', 'an http(s) URL'],
    ['GOOGLE_GENERATIVE_AI_BASE_URL', 'not a url', 'an http(s) URL'],
    ['OPENAI_COMPATIBLE_BASE_URL', 'localhost:11434', 'an http(s) URL'],
    ['DISCORD_GUILD_ID', 'my-guild', 'numeric guild id'],
    ['DEFAULT_MODEL', 'gemini-2.5-flash', 'provider:model with provider google, local or offline'],
    ['DEFAULT_MODEL', 'openai:gpt-4o', 'provider:model'],
    ['DEFAULT_MODEL', 'offline:', 'provider:model'],
    ['AGENT_BRIDGE_ADMINS', 'U01ABC', 'comma list of slack:<user id> or discord:<user id>'],
    ['AGENT_BRIDGE_ADMINS', 'slack:U1,teams:U2', 'comma list'],
    ['FAILURE_MESSAGE', 'x'.repeat(2001), 'at most 2000 characters'],
    ['SLACK_ALLOWED_TEAMS', 'T1 T2', 'a comma list of Slack team ids'],
    ['SLACK_ALLOWED_TEAMS', ',', 'a comma list of Slack team ids'],
    ['DISCORD_ALLOWED_GUILDS', '123,my-guild', 'a comma list of numeric guild ids'],
    ['ALLOWED_MODELS', 'gemini-*', 'a comma list of provider:model globs'],
    ['ALLOWED_MODELS', 'open_ai:*', 'a provider record name or *'],
    ['MAX_AGENTS_PER_WORKSPACE', '0', 'from 1 to 100000'],
  ];
  it.each(cases)('%s=%s', (name, value, expectation) => {
    const err = errorOf({ [name]: value });
    expect(err.message).toContain(expectation);
    expect(err.message).not.toContain('\n');
    expect(err.message.startsWith(`${name} must be `)).toBe(true);
    expect(err.message).toMatch(new RegExp(`; example: ${name}=\\S`));
    const shown = value.length > 60 ? value.slice(0, 57) : value;
    expect(err.message).toContain(`(got ${JSON.stringify(shown).slice(0, -1)}`);
  });

  it('keeps a value with a newline on one line', () => {
    const err = errorOf({ PORT: '30\n00' });
    expect(err.message).not.toContain('\n');
    expect(err.message).toContain('"30\\n00"');
  });

  it('collects every problem, first one as the message', () => {
    const err = errorOf({ PORT: 'x', JOB_ATTEMPTS: '0' });
    expect(err.problems).toHaveLength(2);
    expect(err.message).toBe(err.problems[0]);
    expect(err.problems[1]).toContain('JOB_ATTEMPTS');
  });
});

describe('secrets are never echoed', () => {
  const SECRET = 'Sup3rSecretValue';
  const cases: [string, string][] = [
    ['DATABASE_URL', `mysql://root:${SECRET}@db/ab`],
    ['DATABASE_URL', `postgresql://root:${SECRET}@`],
    ['REDIS_URL', `http://:${SECRET}@cache:6379`],
    ['SLACK_BOT_TOKEN', `xoxb ${SECRET}`],
    ['SLACK_BOT_TOKEN', `xapp-${SECRET}`],
    ['SLACK_SIGNING_SECRET', `${SECRET} x`],
    ['SLACK_APP_TOKEN', `xoxb-${SECRET}`],
    ['DISCORD_BOT_TOKEN', `Bot ${SECRET}`],
    ['GOOGLE_GENERATIVE_AI_API_KEY', `${SECRET} extra`],
    ['OPENAI_COMPATIBLE_API_KEY', `${SECRET} extra`],
    ['ADMIN_TOKEN', 'Sup3r'],
    ['ADMIN_TOKEN', ADMIN_32.slice(1)],
    ['ADMIN_TOKEN', `${SECRET} spaced`],
    ['OPENAI_COMPATIBLE_BASE_URL', `ftp://user:${SECRET}@host/v1`],
  ];
  it.each(cases)('%s', (name, value) => {
    const err = errorOf({ ...SLACK_HTTP, [name]: value });
    expect(err.message.startsWith(name)).toBe(true);
    expect(err.message).toContain('(value hidden)');
    expect(err.message).toContain(`example: ${name}=`);
    expect(err.message).not.toContain(value);
    expect(err.problems.join(' ')).not.toContain(value.includes(SECRET) ? SECRET : value);
  });

  it('does not echo tokens in cross-variable errors', () => {
    const token = 'xoxb-9999-Sup3rSecretValue';
    const err = errorOf({ SLACK_BOT_TOKEN: token, GOOGLE_GENERATIVE_AI_API_KEY: '' });
    expect(err.message).not.toContain(token);
    const err2 = errorOf({ SLACK_APP_TOKEN: 'xapp-1-Sup3rSecretValue' });
    expect(err2.message).not.toContain('Sup3rSecretValue');
  });
});

describe('cross-variable rules', () => {
  const cases: [Env, string][] = [
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set'],
    [{ SLACK_APP_TOKEN: 'xapp-1-abc' }, 'SLACK_BOT_TOKEN is required when SLACK_APP_TOKEN is set'],
    [{ SLACK_SIGNING_SECRET: 'abc123' }, 'SLACK_BOT_TOKEN is required when SLACK_SIGNING_SECRET is set'],
    [
      { DEFAULT_MODEL: 'google:gemini-2.5-pro' },
      'needs GOOGLE_GENERATIVE_AI_API_KEY: set the key or use offline:echo',
    ],
    [{ DEFAULT_MODEL: 'local:llama3.2' }, 'needs OPENAI_COMPATIBLE_BASE_URL'],
    [
      { DEFAULT_MODEL: 'local:llama3.2', OPENAI_COMPATIBLE_API_KEY: 'sk-12345678' },
      'needs OPENAI_COMPATIBLE_BASE_URL',
    ],
  ];
  it.each(cases)('%j', (env, expected) => {
    const err = errorOf(env);
    expect(err.message).toContain(expected);
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(/; example: [A-Z_]+=\S+/);
  });

  it('names the missing Slack variable first', () => {
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1' }).message.startsWith('SLACK_SIGNING_SECRET ')).toBe(true);
    expect(errorOf({ SLACK_APP_TOKEN: 'xapp-1' }).message.startsWith('SLACK_BOT_TOKEN ')).toBe(true);
  });
});

describe('parseModelId', () => {
  const cases: [string, ReturnType<typeof parseModelId>][] = [
    ['google:gemini-2.5-flash', { provider: 'google', model: 'gemini-2.5-flash' }],
    ['local:qwen2.5:7b', { provider: 'local', model: 'qwen2.5:7b' }],
    ['offline:echo', { provider: 'offline', model: 'echo' }],
    ['openai:gpt-4o', undefined],
    ['echo', undefined],
    ['google:', undefined],
    ['google:two words', undefined],
  ];
  it.each(cases)('%s', (id, expected) => {
    expect(parseModelId(id)).toEqual(expected);
  });
});

describe('platformStatus', () => {
  it('says what enables each platform when nothing is set', () => {
    const status = platformStatus(parseConfig({}));
    expect(status.slack).toMatchObject({ configured: false, mode: 'off' });
    expect(status.slack.enableWith).toEqual([
      ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'],
      ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'],
    ]);
    expect(status.slack.summary).toContain('SLACK_BOT_TOKEN + SLACK_APP_TOKEN for Socket Mode');
    expect(status.discord).toEqual({
      configured: false,
      mode: 'off',
      enableWith: [['DISCORD_BOT_TOKEN']],
      summary: 'discord: off (set DISCORD_BOT_TOKEN)',
    });
  });

  const cases: [Env, string, string][] = [
    [SLACK_HTTP, 'http', 'slack: on (HTTP, POST /slack/events)'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-abc' }, 'socket', 'slack: on (Socket Mode)'],
  ];
  it.each(cases)('slack %j', (env, mode, summary) => {
    expect(platformStatus(parseConfig(env)).slack).toEqual({
      configured: true,
      mode,
      enableWith: [],
      summary,
    });
  });

  it('reports discord on, with the guild when given', () => {
    const on = platformStatus(parseConfig({ DISCORD_BOT_TOKEN: 'abc.def' })).discord;
    expect(on).toEqual({
      configured: true,
      mode: 'gateway',
      enableWith: [],
      summary: 'discord: on (gateway)',
    });
    const guild = platformStatus(
      parseConfig({ DISCORD_BOT_TOKEN: 'abc.def', DISCORD_GUILD_ID: '42' }),
    ).discord;
    expect(guild.summary).toBe('discord: on (gateway, /agent in guild 42)');
  });
});

describe('configSecrets', () => {
  it('lists tokens, keys and URL passwords, nothing else', () => {
    const config = parseConfig({
      ...SLACK_HTTP,
      DISCORD_BOT_TOKEN: 'discord.token',
      GOOGLE_GENERATIVE_AI_API_KEY: 'AIzaKey123',
      ADMIN_TOKEN: ADMIN_32,
      DATABASE_URL: 'postgresql://ab:p%40ss@db/ab',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(configSecrets(config).sort()).toEqual(
      ['xoxb-1-2-abc', 'signsecret123', 'discord.token', 'AIzaKey123', ADMIN_32, 'p%40ss', 'p@ss'].sort(),
    );
    expect(configSecrets(parseConfig({}))).toEqual([]);
  });
});

describe('.env.example', () => {
  const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  it('documents every variable exactly once, commented out', () => {
    for (const name of CONFIG_VARIABLES) {
      expect(text.match(new RegExp(`^# ${name}=`, 'gm')), name).toHaveLength(1);
    }
    expect(text).not.toMatch(/^[A-Z_]+=/m);
  });

  it('uncommented, gives exactly the defaults', () => {
    const env = parseEnv(text.replace(/^# ([A-Z_]+=)/gm, '$1'));
    expect(parseConfig(env)).toEqual({
      ...parseConfig({}),
      admins: [
        { platform: 'slack', userId: 'U0123ABCD' },
        { platform: 'discord', userId: '123456789012345678' },
      ],
    });
  });
});

describe('loadConfig', () => {
  let dir: string;
  let saved: Env;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-bridge-config-'));
    saved = Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, process.env[name]]));
    for (const name of CONFIG_VARIABLES) delete process.env[name];
  });
  afterEach(() => {
    for (const name of CONFIG_VARIABLES) {
      const value = saved[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads .env from the directory; the environment wins', () => {
    writeFileSync(join(dir, '.env'), 'PORT=4100\nDEBOUNCE_MS=50\n');
    process.env.DEBOUNCE_MS = '75';
    const config = loadConfig(dir);
    expect(config.port).toBe(4100);
    expect(config.debounceMs).toBe(75);
  });

  it('works without a .env file', () => {
    expect(loadConfig(dir).port).toBe(3000);
  });

  it('throws ConfigError for a bad .env value', () => {
    writeFileSync(join(dir, '.env'), 'JOB_ATTEMPTS=zero\n');
    expect(() => loadConfig(dir)).toThrow(ConfigError);
  });
});

describe('ADMIN_TOKEN length and ADMIN_BOARD_WRITE', () => {
  it('refuses a token under 32 characters in one line that says how to make one', () => {
    const err = errorOf({ ADMIN_TOKEN: 'x'.repeat(31) });
    expect(err.problems).toHaveLength(1);
    expect(err.message).toMatch(
      /^ADMIN_TOKEN must be at least 32 random characters .*\(value hidden\).*openssl rand -base64 32/,
    );
    expect(err.message).not.toContain('\n');
  });

  it('refuses a board switch that is not true or false', () => {
    expect(errorOf({ ADMIN_BOARD_WRITE: 'yes' }).message).toMatch(/^ADMIN_BOARD_WRITE must be true or false/);
  });
});

describe('isLoopbackHost', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['128.0.0.1', false],
    ['::2', false],
    ['::ffff:10.0.0.1', false],
    ['localhost.example.com', false],
    ['bridge.internal', false],
  ];
  it.each(cases)('%s -> %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('exposureProblem: the admin surface never reaches the network unguarded', () => {
  const cases: [string, string | undefined, boolean][] = [
    ['127.0.0.1', undefined, false],
    ['::1', undefined, false],
    ['0.0.0.0', undefined, true],
    ['::', undefined, true],
    ['192.168.1.10', undefined, true],
    ['0.0.0.0', ADMIN_32, false],
  ];
  it.each(cases)('HOST=%s token=%s refused=%s', (host, adminToken, refused) => {
    const problem = exposureProblem({ host, ...(adminToken && { adminToken }) });
    expect(problem !== undefined).toBe(refused);
    if (problem) {
      expect(problem).not.toContain('\n');
      expect(problem).toContain('ADMIN_TOKEN');
      expect(problem).toContain('openssl rand -base64 32');
      expect(problem).toContain('HOST=127.0.0.1');
    }
  });
});
