import { type AgentCandidate, compareByName, isPaused } from './agent-candidate.ts';

export type DmAgentOutcome =
  | { kind: 'agent'; agent: AgentCandidate; via: 'dm_active' | 'only_agent' }
  /** The DM's agent is paused: the caller posts the paused notice (once). */
  | { kind: 'paused'; agent: AgentCandidate }
  /** Several agents and none chosen: the caller lists them (sorted by name) and explains `/agent use`. */
  | { kind: 'help'; agents: AgentCandidate[] }
  | { kind: 'none'; reason: 'no_agents' };

/** The DM's agent: the one chosen with `/agent use`, else the only agent, else help listing them. */
export function resolveDmAgent(
  agents: readonly AgentCandidate[],
  activeAgentId: string | null | undefined,
): DmAgentOutcome {
  const candidates = agents.filter((a) => a.isActive);
  // A chosen agent that was deleted since is simply forgotten.
  const chosen = activeAgentId ? candidates.find((a) => a.id === activeAgentId) : undefined;
  if (chosen) return isPaused(chosen) ? { kind: 'paused', agent: chosen } : agentOutcome(chosen, 'dm_active');
  const [only, ...others] = candidates;
  if (!only) return { kind: 'none', reason: 'no_agents' };
  if (others.length === 0)
    return isPaused(only) ? { kind: 'paused', agent: only } : agentOutcome(only, 'only_agent');
  return { kind: 'help', agents: [...candidates].sort(compareByName) };
}

function agentOutcome(agent: AgentCandidate, via: 'dm_active' | 'only_agent'): DmAgentOutcome {
  return { kind: 'agent', agent, via };
}
