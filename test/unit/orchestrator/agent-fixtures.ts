import type { AgentCandidate } from '../../../src/orchestrator/decisions/agent-candidate.ts';

export function candidate(id: string, overrides: Partial<AgentCandidate> = {}): AgentCandidate {
  return {
    id,
    name: id[0]?.toUpperCase() + id.slice(1),
    status: 'active',
    isActive: true,
    role: '',
    backstory: '',
    goal: '',
    lastResponseAt: null,
    ...overrides,
  };
}

export const at = (iso: string): Date => new Date(`${iso}T00:00:00Z`);
