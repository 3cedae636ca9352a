/** What a subject has spent in the current UTC day and month, and what its budget leaves. */
import type { DbOrTx } from '../store/database.ts';
import type { BudgetScope } from './budget-ledger.ts';
import { type BudgetLimits, formatTokens, formatUsd, hasLimits, windowOf } from './budget-limits.ts';
import { DEFAULT_MODEL_PRICES, type PriceTable } from './prices.ts';
import { totalOf, usageByModel } from './usage-queries.ts';

export interface Spent {
  tokens: number;
  usd: number;
  /** Models used without a known price (their cost counts as 0). */
  unpriced: string[];
}

export interface SpendingWindows {
  day: Spent;
  month: Spent;
}

export async function spendingWindows(
  db: DbOrTx,
  subject: { scope: BudgetScope; id: string },
  prices: PriceTable = DEFAULT_MODEL_PRICES,
  now = Date.now(),
): Promise<SpendingWindows> {
  const month = windowOf('month', now);
  const day = windowOf('day', now);
  const [monthUsage, dayUsage] = await Promise.all([
    usageByModel(db, subject, new Date(month.start), prices),
    usageByModel(db, subject, new Date(day.start), prices),
  ]);
  return { day: totalOf(dayUsage), month: totalOf(monthUsage) };
}

/** `12.3k of 200k tokens today; $4.20 of $50.00 this month`, or `no budget`. Pure. */
export function budgetLeft(limits: BudgetLimits | null | undefined, spent: SpendingWindows): string {
  if (!hasLimits(limits)) return 'no budget';
  const parts: string[] = [];
  const tokens = (limit: number | undefined, used: number, when: string) => {
    if (limit)
      parts.push(`${formatTokens(Math.max(0, limit - used))} of ${formatTokens(limit)} tokens ${when}`);
  };
  const usd = (limit: number | undefined, used: number, when: string) => {
    if (limit) parts.push(`${formatUsd(Math.max(0, limit - used))} of ${formatUsd(limit)} USD ${when}`);
  };
  tokens(limits.dailyTokens, spent.day.tokens, 'today');
  usd(limits.dailyUsd, spent.day.usd, 'today');
  tokens(limits.monthlyTokens, spent.month.tokens, 'this month');
  usd(limits.monthlyUsd, spent.month.usd, 'this month');
  return parts.join('; ');
}
