/**
 * Budgets at the model-call boundary: `reserve` before the call (estimated input +
 * MAX_OUTPUT_TOKENS, or its cost, against every limit of the agent and its workspace, in one
 * script), `settle` after it (the reservation becomes the usage the call reported, or is released
 * when the call failed). An agent whose agent and workspace have no budget costs nothing here: no
 * Redis command, no SQL statement.
 *
 * Concurrent calls cannot overshoot a limit by more than one call's output: a call starts only
 * while the counters (usage plus every running call's full reservation) leave room for its input,
 * so at most one running call can be the one that crosses the limit.
 */
import type { ModelMessage } from 'ai';
import type { Db } from '../store/database.ts';
import type { AgentRecord } from '../store/hot/types.ts';
import type { BudgetLedger, BudgetLine, Seed } from './budget-ledger.ts';
import { type BudgetLimits, hasLimits, type Period, periodLimits } from './budget-limits.ts';
import { costOf, type PriceTable, priceOf } from './prices.ts';
import { totalOf, usageByModel } from './usage-queries.ts';

export interface BudgetGateDeps {
  ledger: BudgetLedger;
  db: Db;
  prices: PriceTable;
  maxOutputTokens: number;
}

export interface CallUsage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
}

/** A reservation held for one model call: settle it exactly once. */
export interface BudgetTicket {
  ok: true;
  settle(usage: CallUsage | undefined): Promise<void>;
}

/** The call may not start: the first limit found spent. */
export interface BudgetRefusal {
  ok: false;
  scope: BudgetLine['scope'];
  period: Period;
  /** The window that is spent, as the counters name it (for once-per-window notices). */
  window: string;
  /** When the window ends (ms since the epoch, UTC). */
  resetAt: number;
  limits: BudgetLimits;
}

export interface BudgetGate {
  /** Undefined when neither the agent nor its workspace has a budget (nothing was sent anywhere). */
  reserve(
    agent: AgentRecord,
    model: string,
    prompt: { system?: string; messages: readonly ModelMessage[] },
  ): Promise<BudgetTicket | BudgetRefusal | undefined>;
}

/** What one image part costs at most, roughly (Gemini counts 258 a tile, OpenAI up to about 1,100). */
export const IMAGE_TOKEN_ESTIMATE = 1_500;

/**
 * Tokens a prompt will cost at most, roughly: a token is 3 or more characters in practice. An
 * image's bytes are counted as IMAGE_TOKEN_ESTIMATE, not as the length of their JSON.
 */
export function estimateInputTokens(prompt: { system?: string; messages: readonly ModelMessage[] }): number {
  let images = 0;
  const json = JSON.stringify(prompt.messages, (_key, value: unknown) => {
    if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
      images += 1;
      return '';
    }
    return value;
  });
  const chars = (prompt.system?.length ?? 0) + json.length;
  return Math.ceil(chars / 3) + 4 * prompt.messages.length + images * IMAGE_TOKEN_ESTIMATE;
}

/** Every limit the call runs under: the agent's, then its workspace's, day before month. */
export function budgetLines(
  agent: Pick<AgentRecord, 'id' | 'workspaceId' | 'budget' | 'workspaceBudget'>,
): BudgetLine[] {
  const lines: BudgetLine[] = [];
  const add = (scope: BudgetLine['scope'], id: string, limits: BudgetLimits | null | undefined) => {
    if (!hasLimits(limits)) return;
    for (const period of ['day', 'month'] as const) {
      const { tokens, usd } = periodLimits(limits, period);
      if (tokens > 0 || usd > 0) lines.push({ scope, id, period, tokens, usd });
    }
  };
  add('agent', agent.id, agent.budget);
  add('workspace', agent.workspaceId, agent.workspaceBudget);
  return lines;
}

/** Seeds are asked for at most twice (a window may roll over between the two calls). */
const SEED_ROUNDS = 3;

export function createBudgetGate(deps: BudgetGateDeps): BudgetGate {
  const { ledger } = deps;

  async function seedsFor(
    lines: readonly BudgetLine[],
    needed: ReadonlyArray<{ index: number; window: string; start: number }>,
  ) {
    const seeds = new Map<number, Seed>();
    await Promise.all(
      needed.map(async ({ index, window, start }) => {
        const line = lines[index];
        if (!line) return;
        const used = totalOf(await usageByModel(deps.db, line, new Date(start), deps.prices));
        seeds.set(index, { window, tokens: used.tokens, usd: used.usd });
      }),
    );
    return seeds;
  }

  return {
    async reserve(agent, model, prompt) {
      const lines = budgetLines(agent);
      if (lines.length === 0) return undefined;
      const price = priceOf(deps.prices, model);
      const input = estimateInputTokens(prompt);
      const reservation = {
        tokens: input + deps.maxOutputTokens,
        usd: costOf(price, input, deps.maxOutputTokens),
        admitTokens: input,
        admitUsd: costOf(price, input, 0),
      };
      let seeds: Map<number, Seed> | undefined;
      for (let round = 0; round < SEED_ROUNDS; round++) {
        const result = await ledger.reserve(lines, reservation, seeds);
        if (result.ok === 'seed') {
          seeds = await seedsFor(lines, result.needed);
          continue;
        }
        if (result.ok === false) {
          const line = lines[result.index] ?? lines[0];
          return {
            ok: false,
            scope: line?.scope ?? 'agent',
            period: line?.period ?? 'day',
            window: result.window,
            resetAt: result.resetAt,
            limits: (line?.scope === 'workspace' ? agent.workspaceBudget : agent.budget) ?? {},
          };
        }
        const { windows } = result;
        let settled = false;
        return {
          ok: true,
          async settle(usage) {
            if (settled) return;
            settled = true;
            const known = usage?.inputTokens !== undefined || usage?.outputTokens !== undefined;
            // A failed call, or one that reported no usage, is charged its estimate only if it answered.
            const inputTokens = known ? (usage?.inputTokens ?? 0) : usage ? input : 0;
            const outputTokens = known ? (usage?.outputTokens ?? 0) : usage ? deps.maxOutputTokens : 0;
            const usd = costOf(price, inputTokens, outputTokens);
            await ledger.reconcile(
              lines,
              windows,
              inputTokens + outputTokens - reservation.tokens,
              usd - reservation.usd,
            );
          },
        };
      }
      throw new Error('budget counters could not be seeded: the window kept changing');
    },
  };
}
