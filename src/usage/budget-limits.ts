/**
 * Spending limits of an agent or a workspace, as stored (a JSON column) and as typed
 * (`budget_daily_tokens=200k`, `budget_monthly_usd=25`). Pure: values in, values or errors out.
 *
 * Windows are UTC calendar days and months. A limit of 0 or an absent one means "no limit".
 */
import { jsonObject } from '../store/hot/values.ts';

export interface BudgetLimits {
  dailyTokens?: number;
  monthlyTokens?: number;
  /** USD. */
  dailyUsd?: number;
  monthlyUsd?: number;
}

export const BUDGET_KEYS = {
  budget_daily_tokens: 'dailyTokens',
  budget_monthly_tokens: 'monthlyTokens',
  budget_daily_usd: 'dailyUsd',
  budget_monthly_usd: 'monthlyUsd',
} as const satisfies Record<string, keyof BudgetLimits>;
export type BudgetKey = keyof typeof BUDGET_KEYS;
export const BUDGET_KEY_NAMES = Object.keys(BUDGET_KEYS) as BudgetKey[];
export type BudgetValues = Partial<Record<BudgetKey, string>>;

export type Period = 'day' | 'month';

export function isBudgetKey(key: string): key is BudgetKey {
  return Object.hasOwn(BUDGET_KEYS, key);
}

/** The stored column (JSON text on SQLite, a value on PostgreSQL) as limits; null when none is set. */
export function budgetOf(stored: unknown): BudgetLimits | null {
  const value = jsonObject(stored);
  if (!value) return null;
  const limits: BudgetLimits = {};
  for (const field of Object.values(BUDGET_KEYS)) {
    const n = value[field];
    if (typeof n === 'number' && Number.isFinite(n) && n > 0) limits[field] = n;
  }
  return hasLimits(limits) ? limits : null;
}

export function hasLimits(limits: BudgetLimits | null | undefined): limits is BudgetLimits {
  return !!limits && Object.values(limits).some((n) => typeof n === 'number' && n > 0);
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** `200000`, `200k`, `1.5M`; `0`, `none`, `off` or "" remove the limit (null). */
export function parseTokens(key: string, raw: string): Parsed<number | null> {
  const value = raw.trim().toLowerCase().replaceAll('_', '');
  if (value === '' || value === '0' || value === 'none' || value === 'off') return { ok: true, value: null };
  const match = /^(\d+(?:\.\d+)?)([km]?)$/.exec(value);
  const scale = match?.[2] === 'k' ? 1e3 : match?.[2] === 'm' ? 1e6 : 1;
  const n = match ? Math.round(Number(match[1]) * scale) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    return { ok: false, error: `give ${key} a number of tokens, e.g. ${key}=200k (0 removes it)` };
  }
  return { ok: true, value: n };
}

/** `25`, `2.50`, `$25`; `0`, `none`, `off` or "" remove the limit (null). */
export function parseUsd(key: string, raw: string): Parsed<number | null> {
  const value = raw.trim().toLowerCase().replace(/^\$/, '');
  if (value === '' || value === 'none' || value === 'off' || Number(value) === 0) {
    return { ok: true, value: null };
  }
  const n = /^\d+(?:\.\d{1,6})?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 1e9) {
    return { ok: false, error: `give ${key} an amount in USD, e.g. ${key}=25 (0 removes it)` };
  }
  return { ok: true, value: n };
}

/** Typed values as changes to stored limits: a number sets, null removes. */
export function budgetChangesFrom(
  values: BudgetValues,
): Parsed<Partial<Record<keyof BudgetLimits, number | null>>> {
  const changes: Partial<Record<keyof BudgetLimits, number | null>> = {};
  for (const key of BUDGET_KEY_NAMES) {
    const raw = values[key];
    if (raw === undefined) continue;
    const field = BUDGET_KEYS[key];
    const parsed = field.endsWith('Usd') ? parseUsd(key, raw) : parseTokens(key, raw);
    if (!parsed.ok) return parsed;
    changes[field] = parsed.value;
  }
  return { ok: true, value: changes };
}

/** The stored limits after the changes; null when none is left. */
export function applyBudgetChanges(
  current: BudgetLimits | null,
  changes: Partial<Record<keyof BudgetLimits, number | null>>,
): BudgetLimits | null {
  const next: BudgetLimits = { ...(current ?? {}) };
  for (const [field, value] of Object.entries(changes) as Array<[keyof BudgetLimits, number | null]>) {
    if (value === null) delete next[field];
    else next[field] = value;
  }
  return hasLimits(next) ? next : null;
}

/** The limits of one period: tokens and USD (0 = none). */
export function periodLimits(limits: BudgetLimits, period: Period): { tokens: number; usd: number } {
  return period === 'day'
    ? { tokens: limits.dailyTokens ?? 0, usd: limits.dailyUsd ?? 0 }
    : { tokens: limits.monthlyTokens ?? 0, usd: limits.monthlyUsd ?? 0 };
}

/**
 * The UTC window holding `at`: its start, its end (the next start) and the id the Redis counters
 * use for it (usage/budget-ledger.ts computes the same ids from Redis's clock).
 */
export function windowOf(period: Period, at: number): { id: string; start: number; end: number } {
  const d = new Date(at);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === 'day') {
    const start = Date.UTC(y, m, d.getUTCDate());
    return { id: `d${start / 86_400_000}`, start, end: start + 86_400_000 };
  }
  return { id: `m${y * 12 + m}`, start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
}

/** `200k tokens/day, $25.00/month`, or `none`. */
export function describeLimits(limits: BudgetLimits | null | undefined): string {
  if (!hasLimits(limits)) return 'none';
  const parts: string[] = [];
  if (limits.dailyTokens) parts.push(`${formatTokens(limits.dailyTokens)} tokens/day`);
  if (limits.dailyUsd) parts.push(`${formatUsd(limits.dailyUsd)}/day`);
  if (limits.monthlyTokens) parts.push(`${formatTokens(limits.monthlyTokens)} tokens/month`);
  if (limits.monthlyUsd) parts.push(`${formatUsd(limits.monthlyUsd)}/month`);
  return parts.join(', ');
}

export function formatTokens(n: number): string {
  if (n >= 1e6 && n % 1e4 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 10 === 0) return `${n / 1e3}k`;
  return String(n);
}

/** USD with cents, or four decimals below a cent so small costs do not read as zero. */
export function formatUsd(usd: number): string {
  if (usd > 0 && usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}
