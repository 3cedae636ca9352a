/**
 * Where a black-box run keeps its Redis keys, and their removal afterwards.
 *
 * The service is started with AGENT_BRIDGE_QUEUE_PREFIX=<prefix>; the run deletes `<prefix>:*`
 * (SCAN + DEL) at the end. A service that ignores the variable writes under its default prefix
 * `ab`, which every other run on this Redis shares: then old jobs (e.g. completed delivery jobs
 * whose ids are database row numbers) leak from one run into the next. So by default the run also
 * claims an empty logical database (1-15, `SET <claim> NX` then DBSIZE == 1) and points the
 * service there: whatever prefix it uses, its keys are this run's alone, and cleanup may remove
 * the default-prefix keys too. `db: 'shared'` keeps the URL's own database (prefix only).
 */
import { Redis } from 'ioredis';

const CLAIM_KEY = 'agent-bridge:harness-claim';
export const DEFAULT_SERVICE_PREFIX = 'ab';

export interface RedisScope {
  /** REDIS_URL to give the service (and every client of this run). */
  url: string;
  /** The logical database, and whether this run claimed it for itself. */
  db: number;
  claimed: boolean;
  prefix: string;
  /** A client on that database. */
  redis: Redis;
  /** True once keys under `<prefix>:` exist; false if only the default prefix was written. */
  prefixHonoured(): Promise<boolean | undefined>;
  /** Deletes the run's keys, releases the claim, closes the client. Returns how many were deleted. */
  cleanup(): Promise<number>;
}

export async function openRedisScope(options: {
  baseUrl: string;
  prefix: string;
  db?: 'auto' | 'shared' | number;
  /** How long the claim lives if the run dies without cleanup. */
  claimTtlSeconds?: number;
}): Promise<RedisScope> {
  const base = new URL(options.baseUrl);
  const mode = options.db ?? 'auto';
  const token = `${options.prefix}:${process.pid}`;
  let db = Number(base.pathname.slice(1) || 0);
  let claimed = false;
  let redis: Redis | undefined;
  if (mode !== 'shared') {
    const candidates = typeof mode === 'number' ? [mode] : shuffled([...Array(15).keys()].map((i) => i + 1));
    for (const candidate of candidates) {
      const client = new Redis(withDb(base, candidate), { maxRetriesPerRequest: 1, lazyConnect: true });
      await client.connect();
      const won = await client.set(CLAIM_KEY, token, 'EX', options.claimTtlSeconds ?? 1800, 'NX');
      if (won === 'OK' && (await client.dbsize()) === 1) {
        db = candidate;
        claimed = true;
        redis = client;
        break;
      }
      if (won === 'OK') await client.del(CLAIM_KEY);
      client.disconnect();
    }
    if (!redis && typeof mode === 'number') throw new Error(`redis database ${mode} is not empty or claimed`);
  }
  if (!redis) {
    redis = new Redis(withDb(base, db), { maxRetriesPerRequest: 1, lazyConnect: true });
    await redis.connect();
  }
  const client = redis;
  const url = withDb(base, db);
  return {
    url,
    db,
    claimed,
    prefix: options.prefix,
    redis: client,
    async prefixHonoured() {
      if (await anyKey(client, `${options.prefix}:*`)) return true;
      if (claimed && (await anyKey(client, `${DEFAULT_SERVICE_PREFIX}:*`))) return false;
      return undefined;
    },
    async cleanup() {
      let deleted = await deleteMatching(client, `${options.prefix}:*`);
      if (claimed) {
        // The database was empty when claimed: default-prefix keys in it are this run's.
        deleted += await deleteMatching(client, `${DEFAULT_SERVICE_PREFIX}:*`);
        if ((await client.get(CLAIM_KEY)) === token) await client.del(CLAIM_KEY);
      }
      client.disconnect();
      return deleted;
    },
  };
}

function withDb(base: URL, db: number): string {
  const url = new URL(base.toString());
  url.pathname = `/${db}`;
  return url.toString();
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

async function anyKey(redis: Redis, pattern: string): Promise<boolean> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) return true;
    cursor = next;
  } while (cursor !== '0');
  return false;
}

export async function deleteMatching(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}
