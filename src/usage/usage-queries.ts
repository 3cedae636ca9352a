/**
 * Aggregates over the stored usage, for commands and the CLI (never on the message path): tokens
 * and cost from `llm_messages` (the assistant row of each reply carries the call's usage), replies,
 * failures and response times from `jobs`, waiting intents from `messages`.
 */
import type { DbOrTx } from '../store/database.ts';
import type { BudgetScope } from './budget-ledger.ts';
import { costOf, type PriceTable, priceOf } from './prices.ts';

export interface ModelUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** USD; 0 when the price is unknown. */
  usd: number;
  priced: boolean;
}

/** Tokens and cost by model of an agent's or a workspace's replies since `since`. */
export async function usageByModel(
  db: DbOrTx,
  subject: { scope: BudgetScope; id: string },
  since: Date,
  prices: PriceTable,
): Promise<ModelUsage[]> {
  const message =
    subject.scope === 'agent' ? { agentId: subject.id } : { agent: { workspaceId: subject.id } };
  const groups = await db.llmMessage.groupBy({
    by: ['model'],
    where: { role: 'assistant', createdAt: { gte: since }, message },
    _sum: { promptTokens: true, completionTokens: true },
  });
  return groups.map((group) =>
    priced(group.model ?? 'unknown', group._sum.promptTokens, group._sum.completionTokens, prices),
  );
}

function priced(model: string, input: number | null, output: number | null, prices: PriceTable): ModelUsage {
  const price = priceOf(prices, model);
  const inputTokens = input ?? 0;
  const outputTokens = output ?? 0;
  return { model, inputTokens, outputTokens, usd: costOf(price, inputTokens, outputTokens), priced: !!price };
}

/** The sum of `usageByModel`: what the budget counters are seeded with. */
export function totalOf(usage: readonly ModelUsage[]): { tokens: number; usd: number; unpriced: string[] } {
  return {
    tokens: usage.reduce((sum, u) => sum + u.inputTokens + u.outputTokens, 0),
    usd: usage.reduce((sum, u) => sum + u.usd, 0),
    unpriced: usage.filter((u) => !u.priced && u.inputTokens + u.outputTokens > 0).map((u) => u.model),
  };
}

export interface ReplyStats {
  replies: number;
  failures: number;
  /** ms, null when there was no completed reply. */
  p50Ms: number | null;
  p95Ms: number | null;
  conversations: number;
}

/** Replies, failures, response times and conversations of an agent's jobs since `since`. */
export async function replyStats(db: DbOrTx, agentId: string, since: Date): Promise<ReplyStats> {
  const where = { agentId, createdAt: { gte: since } };
  // A budget notice is not a failure of the agent: it is left out of the success rate.
  const notBudget = { OR: [{ error: null }, { NOT: { error: { startsWith: 'over_budget' } } }] };
  const [byStatus, durations, conversations] = await Promise.all([
    db.job.groupBy({ by: ['status'], where: { ...where, ...notBudget }, _count: { _all: true } }),
    db.job.findMany({
      where: { ...where, status: 'completed', durationMs: { not: null } },
      select: { durationMs: true },
      orderBy: { durationMs: 'asc' },
      take: 100_000,
    }),
    db.job.groupBy({ by: ['conversationId'], where }),
  ]);
  const count = (status: string) => byStatus.find((g) => g.status === status)?._count._all ?? 0;
  const sorted = durations.map((d) => d.durationMs ?? 0);
  return {
    replies: count('completed'),
    failures: count('failed'),
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    conversations: conversations.length,
  };
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

/** Messages waiting for the agent's reply (its queued work, as the database sees it). */
export function waitingIntents(db: DbOrTx, agentId: string): Promise<number> {
  return db.message.count({ where: { pendingAgentId: agentId } });
}

export interface UsageRow {
  workspace: string;
  agent: string;
  model: string;
  replies: number;
  inputTokens: number;
  outputTokens: number;
  usd: number;
  priced: boolean;
}

/** Per workspace, agent and model since `since` (the CLI's `usage`). */
export async function usageTable(
  db: DbOrTx,
  options: { since: Date; workspaceId?: string | undefined },
  prices: PriceTable,
): Promise<UsageRow[]> {
  const rows = await db.llmMessage.findMany({
    where: {
      role: 'assistant',
      createdAt: { gte: options.since },
      ...(options.workspaceId && { message: { agent: { workspaceId: options.workspaceId } } }),
    },
    select: {
      model: true,
      promptTokens: true,
      completionTokens: true,
      message: {
        select: {
          agent: {
            select: { name: true, workspace: { select: { platform: true, externalId: true, name: true } } },
          },
        },
      },
    },
  });
  const table = new Map<string, UsageRow>();
  for (const row of rows) {
    const agent = row.message.agent;
    const workspace = agent
      ? `${agent.workspace.platform}:${agent.workspace.externalId}${agent.workspace.name ? ` (${agent.workspace.name})` : ''}`
      : 'unknown';
    const model = row.model ?? 'unknown';
    const key = `${workspace}\u0000${agent?.name ?? ''}\u0000${model}`;
    const entry = table.get(key) ?? {
      workspace,
      agent: agent?.name ?? 'unknown',
      model,
      replies: 0,
      inputTokens: 0,
      outputTokens: 0,
      usd: 0,
      priced: !!priceOf(prices, model),
    };
    entry.replies += 1;
    entry.inputTokens += row.promptTokens ?? 0;
    entry.outputTokens += row.completionTokens ?? 0;
    table.set(key, entry);
  }
  return [...table.values()]
    .map((row) => ({ ...row, usd: costOf(priceOf(prices, row.model), row.inputTokens, row.outputTokens) }))
    .sort(
      (a, b) =>
        a.workspace.localeCompare(b.workspace) ||
        a.agent.localeCompare(b.agent) ||
        a.model.localeCompare(b.model),
    );
}
