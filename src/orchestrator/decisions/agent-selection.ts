import { type AgentCandidate, compareByName, isPaused } from './agent-candidate.ts';
import { resolveDmAgent } from './dm-agent.ts';
import { scoreRelevance } from './relevance.ts';

export type { AgentCandidate } from './agent-candidate.ts';

export type SelectionVia = 'addressed' | 'dm_active' | 'only_agent' | 'relevance' | 'least_recent';

export type AgentSelection =
  | { kind: 'agent'; agent: AgentCandidate; via: SelectionVia }
  | { kind: 'paused'; agent: AgentCandidate }
  | { kind: 'help'; agents: AgentCandidate[] }
  | { kind: 'none'; reason: 'no_agents' | 'all_paused' };

export type SelectionConversation =
  | { isDirect: true; activeAgentId: string | null }
  | { isDirect: false; joinedAgentIds: readonly string[] };

export interface AgentSelectionInput {
  /** Every agent that may be addressed here (the workspace's, paused ones included). */
  agents: readonly AgentCandidate[];
  /** From addressing, in order of appearance: the first usable one answers. */
  addressedAgentIds: readonly string[];
  /** The agent that wrote the message, if any: it never answers itself. */
  authorAgentId?: string;
  conversation: SelectionConversation;
  /** What relevance ranks on: addressing's `strippedText`. */
  text: string;
}

/**
 * Which agent answers: explicit address > the DM's agent > the channel's single joined agent >
 * the most relevant active joined agent (ties and no match: the least recently responding).
 */
export function selectAgent(input: AgentSelectionInput): AgentSelection {
  const candidates = input.agents.filter((a) => a.isActive && a.id !== input.authorAgentId);

  for (const id of input.addressedAgentIds) {
    const addressed = candidates.find((a) => a.id === id);
    if (addressed) {
      return isPaused(addressed)
        ? { kind: 'paused', agent: addressed }
        : agentOutcome(addressed, 'addressed');
    }
  }

  const { conversation } = input;
  if (conversation.isDirect) return resolveDmAgent(candidates, conversation.activeAgentId);

  const joined = candidates.filter((a) => conversation.joinedAgentIds.includes(a.id));
  const [onlyJoined, ...otherJoined] = joined;
  if (!onlyJoined) return { kind: 'none', reason: 'no_agents' };
  if (otherJoined.length === 0) {
    return isPaused(onlyJoined)
      ? { kind: 'paused', agent: onlyJoined }
      : agentOutcome(onlyJoined, 'only_agent');
  }
  const ranked = pickMostRelevant(
    input.text,
    joined.filter((a) => !isPaused(a)),
  );
  return ranked ? agentOutcome(ranked.agent, ranked.via) : { kind: 'none', reason: 'all_paused' };
}

/**
 * The highest BM25 score wins; ties (including "nothing matched") go to the least recently
 * responding agent, never-responded first, then by name for determinism.
 */
export function pickMostRelevant(
  text: string,
  agents: readonly AgentCandidate[],
): { agent: AgentCandidate; via: 'relevance' | 'least_recent' } | undefined {
  const scores = scoreRelevance(text, agents);
  const best = Math.max(0, ...agents.map((a) => scores.get(a.id) ?? 0));
  // Float sums of identical terms can differ in the last bits; treat them as equal.
  const top = agents.filter((a) => best - (scores.get(a.id) ?? 0) <= best * 1e-9);
  const [agent] = [...top].sort(compareLeastRecentFirst);
  if (!agent) return undefined;
  return { agent, via: best > 0 ? 'relevance' : 'least_recent' };
}

export function compareLeastRecentFirst(a: AgentCandidate, b: AgentCandidate): number {
  const timeA = a.lastResponseAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  const timeB = b.lastResponseAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  if (timeA !== timeB) return timeA < timeB ? -1 : 1;
  return compareByName(a, b);
}

function agentOutcome(agent: AgentCandidate, via: SelectionVia): AgentSelection {
  return { kind: 'agent', agent, via };
}
