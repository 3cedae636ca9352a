/**
 * A model provider that refuses its key (HTTP 401/403, Gemini's API_KEY_INVALID) fails the reply at
 * once: retrying cannot fix a key. The agent's owner is told by DM, once an hour per agent and
 * model, so a revoked or mistyped key is found by the person who can fix it, not by users seeing
 * FAILURE_MESSAGE. The key itself is never part of the notice (the error's text is not quoted).
 */
import type { AgentRecord } from '../store/hot/types.ts';
import type { BudgetDeps } from './budget-stop.ts';
import { isModelCallError } from './llm-call.ts';

export const REFUSED_KEY_NOTICE_EVERY_MS = 3_600_000;

export function refusedKeyText(agentName: string, model: string, statusCode: number | undefined): string {
  const status = statusCode === undefined ? '' : ` (HTTP ${statusCode})`;
  return (
    `${agentName} could not answer: the model provider refused its API key for \`${model}\`${status}. ` +
    `Replace the key (\`/agent provider add\`, or the server's environment for a built-in provider) ` +
    `or point ${agentName} at another model with \`/agent edit ${agentName} model=…\`.`
  );
}

/** Tells the owner when `error` is a refused key; never throws (the reply's failure path goes on). */
export async function noticeRefusedKey(
  notices: Pick<BudgetDeps, 'claimOnce' | 'notifyOwner' | 'now'> | undefined,
  agent: AgentRecord,
  model: string,
  error: unknown,
): Promise<boolean> {
  if (!notices || !isModelCallError(error) || error.code !== 'auth') return false;
  try {
    const now = (notices.now ?? Date.now)();
    const first = await notices.claimOnce(
      `key-refused:${agent.id}:${model}`,
      now + REFUSED_KEY_NOTICE_EVERY_MS,
    );
    if (first) await notices.notifyOwner(agent, refusedKeyText(agent.name, model, error.statusCode));
    return first;
  } catch {
    return false;
  }
}
