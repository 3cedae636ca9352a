/** The system prompt an agent runs with: the explicit one, else one written from its profile. */
export interface AgentProfile {
  name: string;
  role: string;
  backstory: string;
  goal: string;
  systemPrompt: string | null;
}

export function effectiveSystemPrompt(agent: AgentProfile): string {
  if (agent.systemPrompt?.trim()) return agent.systemPrompt.trim();
  const lines = [`You are ${agent.name}${agent.role.trim() ? `, ${agent.role.trim()}` : ''}.`];
  if (agent.backstory.trim()) lines.push(`Background: ${agent.backstory.trim()}`);
  if (agent.goal.trim()) lines.push(`Your goal: ${agent.goal.trim()}`);
  lines.push(
    'You are talking with people in a team chat. Answer in your own voice, concisely, using Markdown where it helps.',
    'Messages from other participants may start with their name and a colon; do not start your own replies with your name.',
  );
  return lines.join('\n');
}
