/**
 * The usage part of `/agent show`: for the last 24 hours and 30 days, replies, success rate,
 * response times, tokens, cost, conversations; the budget and what it leaves; the work waiting.
 * A few aggregate queries when the command runs, never on the message path.
 */
import { type BudgetLimits, budgetOf, describeLimits, formatTokens } from '../usage/budget-limits.ts';
import { DEFAULT_MODEL_PRICES } from '../usage/prices.ts';
import { budgetLeft, spendingWindows } from '../usage/spending.ts';
import {
  type ReplyStats,
  replyStats,
  totalOf,
  usageByModel,
  waitingIntents,
} from '../usage/usage-queries.ts';
import type { Session } from './session.ts';

const DAY_MS = 86_400_000;

export async function statsFields(
  s: Session,
  agent: { id: string; budget: unknown },
  now = Date.now(),
): Promise<Array<{ label: string; value: string }>> {
  const prices = s.config.modelPrices ?? DEFAULT_MODEL_PRICES;
  const subject = { scope: 'agent' as const, id: agent.id };
  const periods = [
    { label: 'Last 24 hours', since: new Date(now - DAY_MS) },
    { label: 'Last 30 days', since: new Date(now - 30 * DAY_MS) },
  ];
  const [lines, windows, waiting] = await Promise.all([
    Promise.all(
      periods.map(async ({ since }) => {
        const [replies, usage] = await Promise.all([
          replyStats(s.db, agent.id, since),
          usageByModel(s.db, subject, since, prices),
        ]);
        return describePeriod(replies, totalOf(usage));
      }),
    ),
    spendingWindows(s.db, subject, prices, now),
    waitingIntents(s.db, agent.id),
  ]);
  const budget: BudgetLimits | null = budgetOf(agent.budget);
  return [
    ...periods.map((p, i) => ({ label: p.label, value: lines[i] ?? '' })),
    { label: 'Budget', value: describeLimits(budget) },
    { label: 'Budget left', value: budgetLeft(budget, windows) },
    { label: 'Queued', value: waiting === 1 ? '1 message waiting' : `${waiting} messages waiting` },
  ];
}

/** `12 replies, 92% succeeded (1 failed), p50 1.2 s, p95 3.4 s, 12.3k tokens, $0.0123 USD, 3 conversations`. Pure. */
export function describePeriod(
  replies: ReplyStats,
  spent: { tokens: number; usd: number; unpriced: readonly string[] },
): string {
  const total = replies.replies + replies.failures;
  if (total === 0 && spent.tokens === 0) return 'no replies';
  const rate =
    total > 0 ? `${Math.round((100 * replies.replies) / total)}% succeeded (${replies.failures} failed)` : '';
  const times =
    replies.p50Ms === null
      ? ''
      : `p50 ${seconds(replies.p50Ms)}, p95 ${seconds(replies.p95Ms ?? replies.p50Ms)}`;
  const unknown = spent.unpriced.length > 0 ? ` (price unknown: ${spent.unpriced.join(', ')})` : '';
  const cost = `$${spent.usd.toFixed(spent.usd > 0 && spent.usd < 0.01 ? 4 : 2)} USD${unknown}`;
  const conversations =
    replies.conversations === 1 ? '1 conversation' : `${replies.conversations} conversations`;
  return [
    replies.replies === 1 ? '1 reply' : `${replies.replies} replies`,
    rate,
    times,
    `${formatTokens(spent.tokens)} tokens`,
    cost,
    conversations,
  ]
    .filter((part) => part !== '')
    .join(', ');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
