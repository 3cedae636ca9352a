/** What a new conversation with the app shows: a greeting naming the agents and one prompt per agent. Pure. */

const MAX_SUGGESTED_PROMPTS = 4;
/** Slack cuts a prompt title at 75 characters. */
const PROMPT_TITLE_LIMIT = 75;

export interface AgentSummary {
  name: string;
  role: string;
}

export interface SuggestedPrompts {
  title: string;
  prompts: Array<{ title: string; message: string }>;
}

export function greeting(names: readonly string[]): string {
  if (names.length === 0) {
    return 'Hi! There are no agents here yet. Create one with `/agent create NAME role="what it does"`.';
  }
  if (names.length === 1) return `Hi! ${names[0]} answers here. Ask away.`;
  return `Hi! Agents here: ${names.join(', ')}. Start with a name to pick one, like "${names[0]}: hello".`;
}

/** Up to four prompts, one per agent; none when there are no agents. */
export function suggestedPrompts(agents: readonly AgentSummary[]): SuggestedPrompts | undefined {
  if (agents.length === 0) return undefined;
  return {
    title: 'Ask an agent',
    prompts: agents.slice(0, MAX_SUGGESTED_PROMPTS).map((agent) => ({
      title: clip(
        agent.role.trim() ? `${agent.name} · ${agent.role.trim()}` : `Ask ${agent.name}`,
        PROMPT_TITLE_LIMIT,
      ),
      message: `${agent.name}: what can you help me with?`,
    })),
  };
}

/** A thread's title from its first question: one line, at most `max` characters. */
export function threadTitle(question: string, max = 60): string | undefined {
  const line = question.replace(/\s+/gu, ' ').trim();
  return line === '' ? undefined : clip(line, max);
}

export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
