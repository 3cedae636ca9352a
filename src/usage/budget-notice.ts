/** What people are told when a budget is spent: the conversation, and the agent's owner. Pure. */

import type { BudgetScope } from './budget-ledger.ts';
import { type BudgetLimits, describeLimits, type Period } from './budget-limits.ts';

export interface SpentBudget {
  scope: BudgetScope;
  period: Period;
  /** When the window ends (ms since the epoch, UTC). */
  resetAt: number;
  limits: BudgetLimits;
}

/** `00:00 UTC` for tomorrow, `2027-01-01 00:00 UTC` for a later day. */
export function backAt(resetAt: number, now: number): string {
  const reset = new Date(resetAt);
  const time = `${reset.toISOString().slice(11, 16)} UTC`;
  return resetAt - now <= 86_400_000 ? `at ${time}` : `on ${reset.toISOString().slice(0, 10)} at ${time}`;
}

function which(period: Period): string {
  return period === 'day' ? "today's" : "this month's";
}

/** Posted once per window in the conversation, as the agent's reply. */
export function budgetNoticeText(agentName: string, spent: SpentBudget, now: number): string {
  const back = backAt(spent.resetAt, now);
  return spent.scope === 'agent'
    ? `${agentName} has used ${which(spent.period)} budget; back ${back}.`
    : `This workspace has used ${which(spent.period)} budget; ${agentName} is back ${back}.`;
}

/** Sent once per window to the agent's owner. */
export function budgetOwnerText(agentName: string, spent: SpentBudget, now: number): string {
  const whose =
    spent.scope === 'agent' ? `${agentName} has used its` : `The workspace of ${agentName} has used its`;
  const limit = describeLimits(spent.limits);
  const change =
    spent.scope === 'agent'
      ? `/agent edit ${agentName} budget_${spent.period === 'day' ? 'daily' : 'monthly'}_tokens=…`
      : `/agent workspace budget_${spent.period === 'day' ? 'daily' : 'monthly'}_tokens=… (admins)`;
  return `${whose} ${spent.period === 'day' ? 'daily' : 'monthly'} budget (${limit}): it answers again ${backAt(spent.resetAt, now)}. Messages until then get one notice per conversation. To change the budget: ${change}.`;
}
