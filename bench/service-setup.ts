/**
 * What the outside benchmarks (bench:slack, bench:scale) need before they start agent-bridge: a
 * temp folder, a fresh database (a SQLite file there, or a PostgreSQL database dropped afterwards),
 * a Redis scope (own prefix, own logical database when one is free), the service's environment
 * for the fake Slack, and one agent made with `agents create`. Every step registers its undo with
 * the run guard.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { LeanSlackApi } from '../test/fakes/slack-web-lean.ts';
import { adminPostgresUrl, postgresUrlFor } from '../test/support/postgres-url.ts';
import { openRedisScope, type RedisScope } from '../test/support/redis-scope.ts';
import { runCli } from '../test/support/service-process.ts';
import type { RunGuard } from './run-guard.ts';

export interface ServiceSetup {
  dir: string;
  scope: RedisScope;
  /** The environment of every process of the service (add PORT per process). */
  env: Record<string, string>;
}

export async function prepareService(options: {
  guard: RunGuard;
  log: (line: string) => void;
  /** Unique per run and service: names the Redis prefix and the PostgreSQL database. */
  name: string;
  postgres: boolean;
  slack: LeanSlackApi;
  signingSecret: string;
  redisBaseUrl: string;
  redisDb: 'auto' | 'shared' | number;
  keepLogs: boolean;
  /** DEBOUNCE_MS, DEFAULT_MODEL, limits, ...: added to (and overriding) the common environment. */
  env: Record<string, string>;
}): Promise<ServiceSetup> {
  const { guard, log, name } = options;
  const scope = await openRedisScope({ baseUrl: options.redisBaseUrl, prefix: name, db: options.redisDb });
  guard.add(`${name} redis keys`, async () => log(`redis: deleted ${await scope.cleanup()} keys of ${name}`));
  const dir = mkdtempSync(join(tmpdir(), 'ab-bench-'));
  guard.add(
    `${name} folder`,
    async () => (options.keepLogs ? log(`kept ${dir}`) : rmSync(dir, { recursive: true, force: true })),
    () => options.keepLogs || rmSync(dir, { recursive: true, force: true }),
  );
  let databaseUrl = `file:${join(dir, 'ab.db')}`;
  if (options.postgres) {
    const database = name.toLowerCase();
    await withAdmin((admin) => admin.query(`CREATE DATABASE "${database}"`));
    guard.add(`${name} postgres database`, () =>
      withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)),
    );
    databaseUrl = postgresUrlFor(database);
  }
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    REDIS_URL: scope.url,
    AGENT_BRIDGE_QUEUE_PREFIX: scope.prefix,
    SLACK_BOT_TOKEN: options.slack.token,
    SLACK_SIGNING_SECRET: options.signingSecret,
    SLACK_API_URL: options.slack.apiUrl,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const created = await runCli(
    ['agents', 'create', 'Aria', '--workspace', `slack:${options.slack.bot.teamId}`],
    env,
    dir,
    120_000,
  );
  if (created.code !== 0) throw new Error(`agents create failed (${created.code}): ${created.output.trim()}`);
  return { dir, scope, env };
}

export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminPostgresUrl(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
