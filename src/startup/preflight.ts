/**
 * Before anything starts: can we reach Redis and the database? Each failure becomes one line that
 * names the variable and how to fix it; credentials in URLs are never shown.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config.ts';
import { pingRedis, withTimeout } from '../infra/redis.ts';
import { databaseTarget } from '../store/database-url.ts';

/** Start-up cannot go on; the message says what to do. */
export class StartupError extends Error {}

export interface Problem {
  variable: 'REDIS_URL' | 'DATABASE_URL';
  message: string;
}

export async function checkDependencies(config: Config, timeoutMs = 3000): Promise<Problem[]> {
  const [redis, database] = await Promise.all([
    checkRedis(config.redisUrl, timeoutMs),
    checkDatabase(config.databaseUrl, timeoutMs),
  ]);
  return [redis, database].filter((p): p is Problem => p !== null);
}

async function checkRedis(url: string, timeoutMs: number): Promise<Problem | null> {
  const result = await pingRedis(url, timeoutMs);
  if (result.ok) return null;
  return {
    variable: 'REDIS_URL',
    message: `Redis is not reachable at REDIS_URL=${safeUrl(url)} (${result.reason}). Start it with \`docker compose up -d redis\` or \`redis-server\`, or point REDIS_URL at a running Redis.`,
  };
}

async function checkDatabase(url: string, timeoutMs: number): Promise<Problem | null> {
  const target = databaseTarget(url);
  if (target.provider === 'sqlite') {
    try {
      mkdirSync(dirname(target.file), { recursive: true });
      accessSync(dirname(target.file), constants.W_OK);
      return null;
    } catch (error) {
      return {
        variable: 'DATABASE_URL',
        message: `The SQLite database folder ${dirname(target.file)} is not writable (${(error as Error).message}). Fix its permissions or set DATABASE_URL=file:<writable path>.`,
      };
    }
  }
  const { provider: _p, schema: _s, ...connection } = target;
  // Loaded only for PostgreSQL: a SQLite start does not pay for the driver.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await withTimeout(
      client.connect().then(() => client.query('SELECT 1')),
      timeoutMs,
    );
    return null;
  } catch (error) {
    return {
      variable: 'DATABASE_URL',
      message: `PostgreSQL is not reachable at DATABASE_URL=${safeUrl(url)} (${(error as Error).message}). Start it with \`docker compose up -d postgres\`, or leave DATABASE_URL unset to use the embedded SQLite database.`,
    };
  } finally {
    client.end().catch(() => {});
  }
}

/** The URL without its password, for messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
