/**
 * A child service's own place for the tests that spawn `agent-bridge start`: a temp folder holding
 * its SQLite file, a Redis scope (own prefix), a free port, and the environment naming them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { openRedisScope, type RedisScope } from './redis-scope.ts';

export interface ServiceSandbox {
  dir: string;
  scope: RedisScope;
  /** DATABASE_URL, PORT, HOST, REDIS_URL and AGENT_BRIDGE_QUEUE_PREFIX. */
  env: Record<string, string>;
  /** Drops the Redis keys and the folder. */
  cleanup(): Promise<void>;
}

export async function openServiceSandbox(name: string): Promise<ServiceSandbox> {
  const scope = await openRedisScope({
    baseUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: `ab${name}_${randomBytes(4).toString('hex')}`,
  });
  const dir = mkdtempSync(join(tmpdir(), `ab-${name}-`));
  return {
    dir,
    scope,
    env: {
      DATABASE_URL: `file:${join(dir, 'ab.db')}`,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      REDIS_URL: scope.url,
      AGENT_BRIDGE_QUEUE_PREFIX: scope.prefix,
    },
    async cleanup() {
      await scope.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
