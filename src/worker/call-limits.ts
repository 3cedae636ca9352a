/**
 * Limits on model calls, shared through Redis so every worker process agrees: per agent
 * (AGENT_MAX_CONCURRENT, AGENT_RATE_LIMIT_PER_MIN) and per model provider (PROVIDER_MAX_CONCURRENT,
 * PROVIDER_RATE_LIMIT_PER_MIN, e.g. a Gemini quota).
 *
 * Two keys per subject (jobs/keys.ts; both PEXPIREd, so an idle subject leaves nothing behind):
 * - running: ZSET holder id → lease expiry (ms, Redis server time). A holder whose lease passed
 *   no longer counts, so a crashed worker's slot frees itself.
 * - calls: ZSET unique member → call time (ms); the sliding window.
 *
 * One call takes the slots of all its subjects (the agent and its provider) in one Lua script on
 * Redis server time (`TIME`): all or none, so a call refused by its provider holds nothing of its
 * agent, the clocks of the worker hosts never matter, and two processes can never both take the
 * last slot. Over a limit nothing is dropped: `acquire` says when trying again can succeed and the
 * caller waits (the reply worker moves its job to delayed).
 */
import type { Redis } from 'ioredis';
import type { LimitScope, RedisKeys } from '../jobs/keys.ts';

/** The rate window: `perMinute` counts calls started in the last 60 s. */
export const RATE_WINDOW_MS = 60_000;
/** Default wait suggested when a concurrency cap is full (a release can come at any moment). */
export const DEFAULT_CONCURRENCY_POLL_MS = 500;

export interface CallLimitsOptions {
  redis: Redis;
  /** The key scheme (jobs/keys.ts): where each subject's two keys live. */
  keys: Pick<RedisKeys, 'limitRunning' | 'limitCalls'>;
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

/** Who a limit belongs to: an agent (by id) or a model provider (by name). */
export interface LimitSubject {
  scope: LimitScope;
  id: string;
}

export interface LimitClaim extends LimitSubject {
  limits: Limits;
}

export type AcquireResult =
  | { ok: true }
  | { ok: false; scope: LimitScope; limit: 'rate' | 'concurrency'; retryInMs: number };

export interface CallLimits {
  /**
   * Try to start one unit of work under every claim (one script, one round trip): drops expired
   * holders, checks each subject's concurrency cap and sliding-window rate, and only if all pass
   * records the holder (lease until now + leaseMs) and the call time for each. Refused: the first
   * subject that refused, with `retryInMs` saying when trying again can succeed (rate: when its
   * oldest call leaves the window; concurrency: the earliest lease expiry or `concurrencyPollMs`,
   * whichever is sooner). When both limits of a subject are hit, `rate` is reported, since no retry
   * can succeed before its wait is over.
   * A subject the holder still holds is not counted again; its lease is renewed (never shortened).
   */
  acquire(holderId: string, claims: readonly LimitClaim[], leaseMs: number): Promise<AcquireResult>;
  /** Frees the concurrency slots (not the rate entries: a call made counts for the whole minute). */
  release(holderId: string, subjects: readonly LimitSubject[]): Promise<void>;
  /**
   * Extends held leases to now + leaseMs (never shortens them). Resolves false when the holder no
   * longer holds one of them (its lease already ran out): that slot may have gone to someone else.
   */
  extend(holderId: string, subjects: readonly LimitSubject[], leaseMs: number): Promise<boolean>;
  /** A subject's current holders and calls in the window, for metrics and tests. */
  usage(subject: LimitSubject): Promise<{ running: number; callsLastMinute: number }>;
}

// Shared Lua prologue: server time in ms.
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

/**
 * KEYS: running_1, calls_1, ..., running_n, calls_n.
 * ARGV: holder, leaseMs, pollMs, windowMs, then maxConcurrent_i, perMinute_i for each subject.
 * Returns {1}, or {0, limit, retryInMs, i} for the first subject i that refused.
 */
const ACQUIRE_LUA = `${NOW}${EXPIRE_RUNNING}
local holder = ARGV[1]
local leaseMs = tonumber(ARGV[2])
local pollMs = tonumber(ARGV[3])
local windowMs = tonumber(ARGV[4])
local n = #KEYS / 2
local held = {}

for i = 1, n do
  local running, calls = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('ZREMRANGEBYSCORE', running, '-inf', now)
  redis.call('ZREMRANGEBYSCORE', calls, '-inf', now - windowMs)
  held[i] = redis.call('ZSCORE', running, holder) ~= false
end

for i = 1, n do
  if not held[i] then
    local running, calls = KEYS[2 * i - 1], KEYS[2 * i]
    local maxConcurrent = tonumber(ARGV[3 + 2 * i])
    local perMinute = tonumber(ARGV[4 + 2 * i])
    if perMinute > 0 then
      local count = redis.call('ZCARD', calls)
      if count >= perMinute then
        local entry = redis.call('ZRANGE', calls, count - perMinute, count - perMinute, 'WITHSCORES')
        local wait = tonumber(entry[2]) + windowMs - now
        if wait < 1 then wait = 1 end
        return {0, 'rate', wait, i}
      end
    end
    if maxConcurrent > 0 and redis.call('ZCARD', running) >= maxConcurrent then
      local first = redis.call('ZRANGE', running, 0, 0, 'WITHSCORES')
      local wait = tonumber(first[2]) - now
      if wait > pollMs then wait = pollMs end
      if wait < 1 then wait = 1 end
      return {0, 'concurrency', wait, i}
    end
  end
end

for i = 1, n do
  local running, calls = KEYS[2 * i - 1], KEYS[2 * i]
  if held[i] then
    redis.call('ZADD', running, 'GT', now + leaseMs, holder)
  else
    redis.call('ZADD', running, now + leaseMs, holder)
    local member = t[1] .. '.' .. t[2] .. ':' .. holder
    local k = 0
    while redis.call('ZSCORE', calls, member) do
      k = k + 1
      member = t[1] .. '.' .. t[2] .. ':' .. holder .. ':' .. k
    end
    redis.call('ZADD', calls, now, member)
    redis.call('PEXPIRE', calls, windowMs)
  end
  expireRunning(running, now)
end
return {1}
`;

/** KEYS: running keys. ARGV: holder, leaseMs. Returns 1 when every lease was extended, else 0. */
const EXTEND_LUA = `${NOW}${EXPIRE_RUNNING}
local all = 1
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if redis.call('ZSCORE', KEYS[i], ARGV[1]) then
    redis.call('ZADD', KEYS[i], 'GT', now + tonumber(ARGV[2]), ARGV[1])
    expireRunning(KEYS[i], now)
  else
    all = 0
  end
end
return all
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
  callLimitsAcquire(
    numberOfKeys: number,
    ...keysAndArgs: (string | number)[]
  ): Promise<[number, string?, number?, number?]>;
  callLimitsExtend(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  callLimitsUsage(running: string, calls: string, windowMs: number): Promise<[number, number]>;
}

export function createCallLimits(opts: CallLimitsOptions): CallLimits {
  const { redis } = opts;
  const pollMs = opts.concurrencyPollMs ?? DEFAULT_CONCURRENCY_POLL_MS;
  const windowMs = opts.rateWindowMs ?? RATE_WINDOW_MS;
  requireInteger('concurrencyPollMs', pollMs, 1);
  // defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT (e.g. after a Redis restart).
  // Acquire and extend take a variable number of keys: the caller passes the count first.
  redis.defineCommand('callLimitsAcquire', { lua: ACQUIRE_LUA });
  redis.defineCommand('callLimitsExtend', { lua: EXTEND_LUA });
  redis.defineCommand('callLimitsUsage', { lua: USAGE_LUA, numberOfKeys: 2, readOnly: true });
  const commands = redis as unknown as LimitCommands;

  const running = ({ scope, id }: LimitSubject): string => opts.keys.limitRunning(scope, requireId(id));
  const calls = ({ scope, id }: LimitSubject): string => opts.keys.limitCalls(scope, requireId(id));

  return {
    async acquire(holderId, claims, leaseMs) {
      requireHolder(holderId);
      requireInteger('leaseMs', leaseMs, 1);
      if (claims.length === 0) return { ok: true };
      const keys: string[] = [];
      const limits: number[] = [];
      for (const claim of claims) {
        requireInteger('maxConcurrent', claim.limits.maxConcurrent, 0);
        requireInteger('perMinute', claim.limits.perMinute, 0);
        keys.push(running(claim), calls(claim));
        limits.push(claim.limits.maxConcurrent, claim.limits.perMinute);
      }
      const [ok, limit, retryInMs, index] = await commands.callLimitsAcquire(
        keys.length,
        ...keys,
        holderId,
        leaseMs,
        pollMs,
        windowMs,
        ...limits,
      );
      if (ok === 1) return { ok: true };
      const refusedBy = claims[Number(index) - 1] ?? claims[0];
      return {
        ok: false,
        scope: refusedBy?.scope ?? 'agent',
        limit: limit === 'rate' ? 'rate' : 'concurrency',
        retryInMs: Number(retryInMs),
      };
    },

    async release(holderId, subjects) {
      requireHolder(holderId);
      const [only, ...rest] = subjects;
      if (!only) return;
      if (rest.length === 0) {
        await redis.zrem(running(only), holderId);
        return;
      }
      const pipeline = redis.pipeline();
      for (const subject of subjects) pipeline.zrem(running(subject), holderId);
      await pipeline.exec();
    },

    async extend(holderId, subjects, leaseMs) {
      requireHolder(holderId);
      requireInteger('leaseMs', leaseMs, 1);
      if (subjects.length === 0) return true;
      const keys = subjects.map(running);
      return (await commands.callLimitsExtend(keys.length, ...keys, holderId, leaseMs)) === 1;
    },

    async usage(subject) {
      const [holders, recent] = await commands.callLimitsUsage(running(subject), calls(subject), windowMs);
      return { running: holders, callsLastMinute: recent };
    },
  };
}

function requireId(id: string): string {
  if (!id) throw new RangeError('a limit subject id must not be empty');
  return id;
}

function requireHolder(holderId: string): void {
  if (!holderId) throw new RangeError('holderId must not be empty');
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}
