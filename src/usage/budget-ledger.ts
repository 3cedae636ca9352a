/**
 * The budget counters in Redis, shared by every worker: one HASH per subject (agent or workspace)
 * and period (UTC day or month), `<prefix>:budget:<scope>:<id>:<period>` with fields
 * w (the window it counts), tok (tokens) and usd. Each key expires at the end of its window.
 *
 * `reserve` is one Lua script on Redis's clock, all or none (like worker/call-limits.ts): it works
 * out the current windows, refuses when any subject's window is spent, else adds the reservation
 * to every subject. A key that is missing or counts an older window cannot be trusted to be zero
 * (Redis may have lost it): the script asks for a seed, the caller sums the stored usage of that
 * window (usage/usage-queries.ts) and calls again with it. That costs one aggregate query per
 * subject and window, not one per message. `reconcile` applies the difference between what a call
 * reserved and what it used (or releases the reservation of a call that failed).
 */
import type { Redis } from 'ioredis';
import type { Period } from './budget-limits.ts';

export type BudgetScope = 'agent' | 'workspace';

/** One limit to check: a subject's period with its token and USD limits (0 = none). */
export interface BudgetLine {
  scope: BudgetScope;
  id: string;
  period: Period;
  tokens: number;
  usd: number;
}

export interface Reservation {
  /** Added to the counters: estimated input + MAX_OUTPUT_TOKENS, and its cost. */
  tokens: number;
  usd: number;
  /** Must still fit for the call to start: the estimated input alone, and its cost. */
  admitTokens: number;
  admitUsd: number;
}

/** A seed for a line: the stored usage of the window it was summed for. */
export interface Seed {
  window: string;
  tokens: number;
  usd: number;
}

export type ReserveResult =
  /** Reserved: the window each line counted, for `reconcile`. */
  | { ok: true; windows: string[] }
  /** Line `index` is spent until `resetAt` (ms). */
  | { ok: false; index: number; window: string; resetAt: number }
  /** These lines need a seed summed from the stored usage since `start` (ms). */
  | { ok: 'seed'; needed: Array<{ index: number; window: string; start: number }> };

const WINDOWS = `
local t = redis.call('TIME')
local sec = tonumber(t[1])
local day = math.floor(sec / 86400)
local function civil(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m
end
local function days(y, m)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5)
  return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
end
local function window(period)
  if period == 'day' then
    return 'd' .. day, day * 86400000, (day + 1) * 86400000
  end
  local y, m = civil(day)
  local ny, nm = y, m + 1
  if nm > 12 then ny, nm = y + 1, 1 end
  return 'm' .. (y * 12 + m - 1), days(y, m) * 86400000, days(ny, nm) * 86400000
end
`;

/**
 * KEYS: one per line. ARGV: reserveTok, reserveUsd, admitTok, admitUsd, then per line:
 * period, tokLimit, usdLimit, seedWindow, seedTok, seedUsd.
 * Returns {1, w_1, …}, {0, i, w, resetAt} or {2, i, w, start, …} (seeds needed).
 */
const RESERVE_LUA = `${WINDOWS}
local n = #KEYS
local win, stop = {}, {}
local missing = {}
for i = 1, n do
  local base = 4 + (i - 1) * 6
  local w, start, finish = window(ARGV[base + 1])
  win[i], stop[i] = w, finish
  if redis.call('HGET', KEYS[i], 'w') ~= w then
    if ARGV[base + 4] == w then
      redis.call('DEL', KEYS[i])
      redis.call('HSET', KEYS[i], 'w', w, 'tok', ARGV[base + 5], 'usd', ARGV[base + 6])
      redis.call('PEXPIREAT', KEYS[i], finish)
    else
      table.insert(missing, i)
      table.insert(missing, w)
      table.insert(missing, start)
    end
  end
end
if #missing > 0 then
  table.insert(missing, 1, 2)
  return missing
end
local admitTok, admitUsd = tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 1, n do
  local base = 4 + (i - 1) * 6
  local tokLimit, usdLimit = tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
  local used = redis.call('HMGET', KEYS[i], 'tok', 'usd')
  local tok, usd = tonumber(used[1]) or 0, tonumber(used[2]) or 0
  if tokLimit > 0 and (tok >= tokLimit or tok + admitTok > tokLimit) then
    return {0, i, win[i], stop[i]}
  end
  if usdLimit > 0 and (usd >= usdLimit or usd + admitUsd > usdLimit) then
    return {0, i, win[i], stop[i]}
  end
end
local result = {1}
for i = 1, n do
  redis.call('HINCRBY', KEYS[i], 'tok', ARGV[1])
  redis.call('HINCRBYFLOAT', KEYS[i], 'usd', ARGV[2])
  table.insert(result, win[i])
end
return result
`;

/** KEYS: one per line. ARGV: deltaTok, deltaUsd, then the window each line reserved in. */
const RECONCILE_LUA = `
for i = 1, #KEYS do
  if redis.call('HGET', KEYS[i], 'w') == ARGV[2 + i] then
    redis.call('HINCRBY', KEYS[i], 'tok', ARGV[1])
    redis.call('HINCRBYFLOAT', KEYS[i], 'usd', ARGV[2])
  end
end
return 1
`;

interface LedgerCommands {
  budgetReserve(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<Array<string | number>>;
  budgetReconcile(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
}

export interface BudgetLedger {
  reserve(
    lines: readonly BudgetLine[],
    reservation: Reservation,
    seeds?: ReadonlyMap<number, Seed>,
  ): Promise<ReserveResult>;
  reconcile(
    lines: readonly BudgetLine[],
    windows: readonly string[],
    deltaTokens: number,
    deltaUsd: number,
  ): Promise<void>;
  /** Current counters of a line (for `/agent show`); null when Redis holds none for this window. */
  read(
    line: Pick<BudgetLine, 'scope' | 'id' | 'period'>,
  ): Promise<{ window: string; tokens: number; usd: number } | null>;
}

export function budgetKey(prefix: string, line: Pick<BudgetLine, 'scope' | 'id' | 'period'>): string {
  return `${prefix}:budget:${line.scope}:${line.id}:${line.period}`;
}

export function createBudgetLedger(redis: Redis, prefix: string): BudgetLedger {
  redis.defineCommand('budgetReserve', { lua: RESERVE_LUA });
  redis.defineCommand('budgetReconcile', { lua: RECONCILE_LUA });
  const commands = redis as unknown as LedgerCommands;
  const keyOf = (line: BudgetLine) => budgetKey(prefix, line);

  return {
    async reserve(lines, r, seeds) {
      const args: (string | number)[] = [Math.ceil(r.tokens), r.usd, Math.ceil(r.admitTokens), r.admitUsd];
      for (const [index, line] of lines.entries()) {
        const seed = seeds?.get(index);
        args.push(line.period, line.tokens, line.usd, seed?.window ?? '', seed?.tokens ?? 0, seed?.usd ?? 0);
      }
      const reply = await commands.budgetReserve(lines.length, ...lines.map(keyOf), ...args);
      const [status, ...rest] = reply;
      if (Number(status) === 1) return { ok: true, windows: rest.map(String) };
      if (Number(status) === 0) {
        return { ok: false, index: Number(rest[0]) - 1, window: String(rest[1]), resetAt: Number(rest[2]) };
      }
      const needed: Array<{ index: number; window: string; start: number }> = [];
      for (let i = 0; i < rest.length; i += 3) {
        needed.push({ index: Number(rest[i]) - 1, window: String(rest[i + 1]), start: Number(rest[i + 2]) });
      }
      return { ok: 'seed', needed };
    },

    async reconcile(lines, windows, deltaTokens, deltaUsd) {
      if (lines.length === 0 || (deltaTokens === 0 && deltaUsd === 0)) return;
      await commands.budgetReconcile(
        lines.length,
        ...lines.map(keyOf),
        Math.round(deltaTokens),
        deltaUsd,
        ...windows,
      );
    },

    async read(line) {
      const [w, tok, usd] = await redis.hmget(budgetKey(prefix, line), 'w', 'tok', 'usd');
      if (w === null || w === undefined) return null;
      return { window: w, tokens: Number(tok ?? 0), usd: Number(usd ?? 0) };
    },
  };
}
