/**
 * The reply worker's side of budgets (usage/budget-gate.ts): settle the reservation with the usage
 * the call reported, and what happens when a budget is spent.
 *
 * Spent: no model call, no retry. The first job of the window in a conversation stores the notice
 * as the agent's reply, answering what waited (so exactly-once holds and it is delivered like any
 * reply). Later messages in that conversation in the same window get nothing: their intents are
 * closed quietly and the job is recorded failed with reason `over_budget`. A new window gets a
 * notice again. The agent's owner gets one DM per window and budget.
 */

import type { ReplyJobData } from '../jobs/queues.ts';
import type { Logger } from '../logger.ts';
import type { AgentRecord, ReplyContext } from '../store/hot/types.ts';
import type { BudgetGate, BudgetRefusal, BudgetTicket } from '../usage/budget-gate.ts';
import { budgetNoticeText, budgetOwnerText } from '../usage/budget-notice.ts';
import { type AnswerDeps, answerWithFailure } from './stored-answer.ts';

export interface BudgetDeps {
  gate: BudgetGate;
  /** SET NX until `untilMs`: true for the first caller only. */
  claimOnce(key: string, untilMs: number): Promise<boolean>;
  /** A direct message to the agent's owner, where the platform allows it. Never throws. */
  notifyOwner(agent: AgentRecord, text: string): Promise<void>;
  now?: () => number;
}

/**
 * Runs the model call and settles the reservation with what it reported (or releases it). A settle
 * that fails (Redis down) does not fail the reply: the reservation stays counted until its window
 * ends, which errs on the side of the budget, and a retry would cost a second model call.
 */
export async function settleAfter<
  T extends { usage: { inputTokens?: number | undefined; outputTokens?: number | undefined } },
>(ticket: BudgetTicket | undefined, call: Promise<T>): Promise<T> {
  if (!ticket) return call;
  let result: T;
  try {
    result = await call;
  } catch (error) {
    await ticket.settle(undefined).catch(() => {});
    throw error;
  }
  await ticket
    .settle({ inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens })
    .catch(() => {});
  return result;
}

export async function stopOverBudget(
  deps: AnswerDeps & { logger: Logger; budgets?: BudgetDeps | undefined },
  spent: BudgetRefusal,
  job: {
    data: ReplyJobData;
    agent: AgentRecord;
    queueJobId: string;
    attempts: number;
    startedAt: Date;
    context: ReplyContext;
  },
): Promise<void> {
  const { agent, data } = job;
  if (!deps.budgets) return;
  const now = (deps.budgets.now ?? Date.now)();
  const subject = spent.scope === 'agent' ? agent.id : agent.workspaceId;
  const reason = `over_budget: ${spent.scope} ${spent.period === 'day' ? 'daily' : 'monthly'} budget spent until ${new Date(spent.resetAt).toISOString()}`;
  const prefix = `budget-once:${spent.scope}:${subject}:${spent.window}`;
  const [noticeHere, dmOwner] = await Promise.all([
    deps.budgets.claimOnce(`${prefix}:notice:${agent.id}:${data.conversationId}`, spent.resetAt),
    deps.budgets.claimOnce(`${prefix}:owner:${agent.id}`, spent.resetAt),
  ]);
  deps.logger.info(
    {
      agentId: agent.id,
      conversationId: data.conversationId,
      scope: spent.scope,
      period: spent.period,
      notice: noticeHere,
    },
    'budget spent: no model call',
  );
  if (dmOwner) await deps.budgets.notifyOwner(agent, budgetOwnerText(agent.name, spent, now));
  if (noticeHere) {
    await answerWithFailure(deps, { ...job, reason, text: budgetNoticeText(agent.name, spent, now) });
    return;
  }
  await deps.store.releaseIntents(data.conversationId, agent.id);
  await deps.store.recordAttempt({
    final: true,
    queueJobId: job.queueJobId,
    conversationId: data.conversationId,
    agentId: agent.id,
    triggerMessageId: data.messageId,
    attempts: job.attempts,
    error: `${reason} (notice already posted in this conversation)`,
  });
  await deps.cancel(data.conversationId, agent.id);
}
