/**
 * Per-agent rate limit and concurrency cap, shared through Redis so every worker process agrees.
 *
 * Two keys per agent (jobs/keys.ts; both PEXPIREd, so an idle agent leaves nothing behind):
 * - running: ZSET holder id → lease expiry (ms, Redis server time). A holder whose lease passed
 *   no longer counts, so a crashed worker's slot frees itself.
 * - calls: ZSET unique member → call time (ms); the sliding window.
 *
 * Every decision runs in one Lua script on Redis server time (`TIME`), so the clocks of the worker
 * hosts never matter and two processes can never both take the last slot.
 * Over a limit nothing is dropped: `acquire` says when trying again can succeed and the caller
 * waits (the reply worker moves its job to delayed).
 */
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../jobs/keys.ts';

/** The rate window: `perMinute` counts calls started in the last 60 s. */
export const RATE_WINDOW_MS = 60_000;
/** Default wait suggested when the concurrency cap is full (a release can come at any moment). */
export const DEFAULT_CONCURRENCY_POLL_MS = 500;

export interface AgentLimitsOptions {
  redis: Redis;
  /** The key scheme (jobs/keys.ts): where each agent's two keys live. */
  keys: Pick<RedisKeys, 'agentRunning' | 'agentCalls'>;
  /** Upper bound of `retryInMs` when refused for concurrency [500]. */
  concurrencyPollMs?: number;
  /** The rate window `perMinute` counts over [60000]; shorter only in tests. */
  rateWindowMs?: number;
}

export interface Limits {
  /** Holders at once; 0 = no cap. */
  maxConcurrent: number;
  /** Calls started per sliding 60 s; 0 = no limit. */
  perMinute: number;
}

export type AcquireResult = { ok: true } | { ok: false; limit: 'rate' | 'concurrency'; retryInMs: number };

export interface AgentLimits {
  /**
   * Try to start one unit of work for an agent (one script, one round trip): drops expired
   * holders, checks the concurrency cap and the sliding-window rate, and if both pass records the
   * holder (lease until now + leaseMs) and the call time. Refused: `retryInMs` is when trying again
   * can succeed (rate: when the oldest call leaves the window; concurrency: the earliest lease
   * expiry or `concurrencyPollMs`, whichever is sooner). When both limits are hit, `rate` is
   * reported, since no retry can succeed before its wait is over.
   * Acquiring again with a holder id that still holds succeeds without counting a second call, and
   * renews the lease (never shortens it).
   */
  acquire(agentId: string, holderId: string, limits: Limits, leaseMs: number): Promise<AcquireResult>;
  /** Frees the concurrency slot (not the rate entry: a call made counts for the whole minute). */
  release(agentId: string, holderId: string): Promise<void>;
  /**
   * Extends a held lease to now + leaseMs (never shortens it). Resolves false when the holder no
   * longer holds (its lease already ran out): the slot may have gone to someone else.
   */
  extend(agentId: string, holderId: string, leaseMs: number): Promise<boolean>;
  /** Current holders and calls in the window, for metrics and tests. */
  usage(agentId: string): Promise<{ running: number; callsLastMinute: number }>;
}

// Shared Lua prologue: server time in ms, and KEYS/ARGV conventions.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// Sets the running key to expire with its last lease.
const EXPIRE_RUNNING = `
local function expireRunning(key, now)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then
    local ttl = tonumber(last[2]) - now
    if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('DEL', key) end
  end
end
`;

/** KEYS: running, calls. ARGV: holder, maxConcurrent, perMinute, leaseMs, pollMs, windowMs. */
const ACQUIRE_LUA = `${NOW}${EXPIRE_RUNNING}
local running, calls = KEYS[1], KEYS[2]
local holder = ARGV[1]
local maxConcurrent = tonumber(ARGV[2])
local perMinute = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4])
local pollMs = tonumber(ARGV[5])
local windowMs = tonumber(ARGV[6])

redis.call('ZREMRANGEBYSCORE', running, '-inf', now)
redis.call('ZREMRANGEBYSCORE', calls, '-inf', now - windowMs)

if redis.call('ZSCORE', running, holder) then
  redis.call('ZADD', running, 'GT', now + leaseMs, holder)
  expireRunning(running, now)
  return {1}
end

if perMinute > 0 then
  local count = redis.call('ZCARD', calls)
  if count >= perMinute then
    local entry = redis.call('ZRANGE', calls, count - perMinute, count - perMinute, 'WITHSCORES')
    local wait = tonumber(entry[2]) + windowMs - now
    if wait < 1 then wait = 1 end
    return {0, 'rate', wait}
  end
end

if maxConcurrent > 0 and redis.call('ZCARD', running) >= maxConcurrent then
  local first = redis.call('ZRANGE', running, 0, 0, 'WITHSCORES')
  local wait = tonumber(first[2]) - now
  if wait > pollMs then wait = pollMs end
  if wait < 1 then wait = 1 end
  return {0, 'concurrency', wait}
end

redis.call('ZADD', running, now + leaseMs, holder)
expireRunning(running, now)
local member = t[1] .. '.' .. t[2] .. ':' .. holder
local n = 0
while redis.call('ZSCORE', calls, member) do
  n = n + 1
  member = t[1] .. '.' .. t[2] .. ':' .. holder .. ':' .. n
end
redis.call('ZADD', calls, now, member)
redis.call('PEXPIRE', calls, windowMs)
return {1}
`;

/** KEYS: running. ARGV: holder, leaseMs. Returns 1 when extended, 0 when not held. */
const EXTEND_LUA = `${NOW}${EXPIRE_RUNNING}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'GT', now + tonumber(ARGV[2]), ARGV[1])
expireRunning(KEYS[1], now)
return 1
`;

/** KEYS: running, calls. ARGV: windowMs. Read-only: counts live leases and calls in the window. */
const USAGE_LUA = `${NOW}
return {
  redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf'),
  redis.call('ZCOUNT', KEYS[2], '(' .. (now - tonumber(ARGV[1])), '+inf'),
}
`;

// Namespaced so defining them on a connection shared with BullMQ cannot clash with anything.
interface LimitCommands {
  agentLimitsAcquire(
    running: string,
    calls: string,
    holder: string,
    maxConcurrent: number,
    perMinute: number,
    leaseMs: number,
    pollMs: number,
    windowMs: number,
  ): Promise<[number, string?, number?]>;
  agentLimitsExtend(running: string, holder: string, leaseMs: number): Promise<number>;
  agentLimitsUsage(running: string, calls: string, windowMs: number): Promise<[number, number]>;
}

export function createAgentLimits(opts: AgentLimitsOptions): AgentLimits {
  const { redis } = opts;
  const pollMs = opts.concurrencyPollMs ?? DEFAULT_CONCURRENCY_POLL_MS;
  const windowMs = opts.rateWindowMs ?? RATE_WINDOW_MS;
  requireInteger('concurrencyPollMs', pollMs, 1);
  // defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT (e.g. after a Redis restart).
  redis.defineCommand('agentLimitsAcquire', { lua: ACQUIRE_LUA, numberOfKeys: 2 });
  redis.defineCommand('agentLimitsExtend', { lua: EXTEND_LUA, numberOfKeys: 1 });
  redis.defineCommand('agentLimitsUsage', { lua: USAGE_LUA, numberOfKeys: 2, readOnly: true });
  const commands = redis as unknown as LimitCommands;

  const keys = (agentId: string) => {
    if (!agentId) throw new RangeError('agentId must not be empty');
    return { running: opts.keys.agentRunning(agentId), calls: opts.keys.agentCalls(agentId) };
  };

  return {
    async acquire(agentId, holderId, limits, leaseMs) {
      const { running, calls } = keys(agentId);
      requireHolder(holderId);
      requireInteger('maxConcurrent', limits.maxConcurrent, 0);
      requireInteger('perMinute', limits.perMinute, 0);
      requireInteger('leaseMs', leaseMs, 1);
      const [ok, limit, retryInMs] = await commands.agentLimitsAcquire(
        running,
        calls,
        holderId,
        limits.maxConcurrent,
        limits.perMinute,
        leaseMs,
        pollMs,
        windowMs,
      );
      if (ok === 1) return { ok: true };
      return { ok: false, limit: limit === 'rate' ? 'rate' : 'concurrency', retryInMs: Number(retryInMs) };
    },

    async release(agentId, holderId) {
      requireHolder(holderId);
      await redis.zrem(keys(agentId).running, holderId);
    },

    async extend(agentId, holderId, leaseMs) {
      requireHolder(holderId);
      requireInteger('leaseMs', leaseMs, 1);
      return (await commands.agentLimitsExtend(keys(agentId).running, holderId, leaseMs)) === 1;
    },

    async usage(agentId) {
      const { running, calls } = keys(agentId);
      const [holders, recent] = await commands.agentLimitsUsage(running, calls, windowMs);
      return { running: holders, callsLastMinute: recent };
    },
  };
}

function requireHolder(holderId: string): void {
  if (!holderId) throw new RangeError('holderId must not be empty');
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}
