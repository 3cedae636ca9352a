/**
 * Budgets through `/agent`: `edit NAME budget_daily_tokens=…` (an agent's) and `workspace
 * [budget_…=…]` (the workspace's). Only admins set them; anyone may see the workspace's.
 */

import type { AdminRef } from '../config-env.ts';
import { setAgentBudget, setWorkspaceBudget, workspaceBudget } from '../store/budgets.ts';
import {
  applyBudgetChanges,
  type BudgetLimits,
  type BudgetValues,
  budgetChangesFrom,
  describeLimits,
} from '../usage/budget-limits.ts';
import { budgetLeft, type SpendingWindows, spendingWindows } from '../usage/spending.ts';
import type { CommandReply } from './command.ts';
import { sentence } from './fields.ts';
import { isAdmin, type PermissionActor } from './permissions.ts';
import { actorOf, failed, rules, type Session, succeeded } from './session.ts';

/** Who may set budgets: admins only (they spend the organisation's money). Pure. */
export function budgetRefusal(
  actor: PermissionActor,
  admins: readonly AdminRef[],
  target: string,
): string | undefined {
  if (isAdmin(actor, admins)) return undefined;
  const admin =
    actor.platform === 'discord'
      ? 'an admin (Manage Server, or AGENT_BRIDGE_ADMINS)'
      : actor.platform === 'slack'
        ? 'an admin (a Slack workspace admin or owner, or AGENT_BRIDGE_ADMINS)'
        : 'an admin';
  return `Only ${admin} can set ${target}.`;
}

/** The agent's budget after the typed changes, if the actor may set it; else the refusal. */
export function checkAgentBudget(
  s: Session,
  agent: { name: string; budget: unknown },
  values: BudgetValues,
  current: BudgetLimits | null,
): { ok: true; value: BudgetLimits | null } | { ok: false; error: string } {
  const refused = budgetRefusal(rules(s.config, s.ctx).actor, s.config.admins, `${agent.name}'s budget`);
  if (refused) return { ok: false, error: refused };
  const changes = budgetChangesFrom(values);
  if (!changes.ok) return { ok: false, error: sentence(changes.error) };
  return { ok: true, value: applyBudgetChanges(current, changes.value) };
}

export async function saveAgentBudget(s: Session, agentId: string, budget: BudgetLimits | null) {
  await setAgentBudget(s.db, agentId, budget, await actorOf(s));
}

export async function workspaceVerb(s: Session, values: BudgetValues): Promise<CommandReply> {
  const current = await workspaceBudget(s.db, s.workspaceId);
  if (Object.keys(values).length === 0) return showWorkspace(s, current);
  const refused = budgetRefusal(rules(s.config, s.ctx).actor, s.config.admins, "this workspace's budget");
  if (refused) return failed(refused);
  const changes = budgetChangesFrom(values);
  if (!changes.ok) return failed(sentence(changes.error));
  const next = applyBudgetChanges(current, changes.value);
  await setWorkspaceBudget(s.db, s.workspaceId, next);
  return succeeded(`Workspace budget: ${describeLimits(next)}.`);
}

async function showWorkspace(s: Session, budget: BudgetLimits | null): Promise<CommandReply> {
  const windows = await spendingWindows(
    s.db,
    { scope: 'workspace', id: s.workspaceId },
    s.config.modelPrices,
  );
  return succeeded(`Workspace budget: ${describeLimits(budget)}.`, {
    title: 'Workspace',
    fields: [
      { label: 'Budget', value: describeLimits(budget) },
      { label: 'Used today (UTC)', value: describeSpent(windows.day) },
      { label: 'Used this month (UTC)', value: describeSpent(windows.month) },
      { label: 'Budget left', value: budgetLeft(budget, windows) },
    ],
  });
}

export function describeSpent(spent: SpendingWindows['day']): string {
  const unknown = spent.unpriced.length > 0 ? ` (price unknown for ${spent.unpriced.join(', ')})` : '';
  return `${spent.tokens.toLocaleString('en-US')} tokens, $${spent.usd.toFixed(4)} USD${unknown}`;
}
