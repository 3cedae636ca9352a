/** Stored budgets: the `budget` JSON column of an agent (audited like every agent change) and of a workspace. */
import { type BudgetLimits, budgetOf } from '../usage/budget-limits.ts';
import { type Actor, audit } from './agents.ts';
import type { Db } from './database.ts';

/** `{}` rather than NULL for "none": a JSON null needs each provider's own sentinel. */
function column(budget: BudgetLimits | null) {
  return { ...(budget ?? {}) };
}

export async function agentBudget(db: Db, agentId: string): Promise<BudgetLimits | null> {
  const row = await db.agent.findUnique({ where: { id: agentId }, select: { budget: true } });
  return budgetOf(row?.budget);
}

export async function setAgentBudget(db: Db, agentId: string, budget: BudgetLimits | null, actor: Actor) {
  await db.$transaction(async (tx) => {
    await tx.agent.update({ where: { id: agentId }, data: { budget: column(budget) } });
    await audit(tx, agentId, actor, 'budget', { budget });
  });
}

export async function workspaceBudget(db: Db, workspaceId: string): Promise<BudgetLimits | null> {
  const row = await db.workspace.findUnique({ where: { id: workspaceId }, select: { budget: true } });
  return budgetOf(row?.budget);
}

export async function setWorkspaceBudget(db: Db, workspaceId: string, budget: BudgetLimits | null) {
  await db.workspace.update({ where: { id: workspaceId }, data: { budget: column(budget) } });
}
