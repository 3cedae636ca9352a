/** The short texts agent-bridge itself posts (not an agent's reply): help and hints. */
import type { AgentCandidate } from './decisions/agent-candidate.ts';

export function chooseAgentHelp(agents: readonly AgentCandidate[]): string {
  const list = agents.map((a) => (a.role.trim() ? `${a.name} (${a.role.trim()})` : a.name)).join(', ');
  const example = agents[0]?.name ?? 'NAME';
  return `Several agents can answer here: ${list}. Pick one with \`/agent use ${example}\`, or start your message with a name, like \`${example}: hello\`.`;
}

export const NO_AGENTS_HELP =
  'There are no agents here yet. Create one with `/agent create NAME role="what it does"`.';

export const NO_AGENT_IN_CHANNEL_HELP =
  'No agent has joined this channel yet. Add one with `/agent join NAME`, or see them all with `/agent list`.';

export const NO_AGENTS_IN_SHARED_SERVERS_HELP =
  'No server you share with the bot has an agent yet. Create one in a server channel with `/agent create NAME`, then DM again.';
