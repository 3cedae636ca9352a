/** An agent as the selection decisions see it: plain data, no ORM object. */
export interface AgentCandidate {
  id: string;
  name: string;
  /** `inactive` = paused by its owner or an admin. */
  status: 'active' | 'inactive';
  /** False once deleted (soft delete): never a candidate. */
  isActive: boolean;
  role: string;
  backstory: string;
  goal: string;
  /** Its working messages (Slack `loading_messages`), when it sets any. */
  loading?: string[];
  /** When this process last picked it to answer: ties go to the least recently picked. */
  lastResponseAt: Date | null;
}

export function isPaused(agent: Pick<AgentCandidate, 'status'>): boolean {
  return agent.status === 'inactive';
}

/** Stable order for listings and tie-breaks: name (case-insensitive), then id. */
export function compareByName(a: AgentCandidate, b: AgentCandidate): number {
  const nameA = a.name.toLowerCase();
  const nameB = b.name.toLowerCase();
  if (nameA !== nameB) return nameA < nameB ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
