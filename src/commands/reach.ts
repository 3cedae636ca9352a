/**
 * Discord DMs have no guild: a DM reaches the agents of the servers its user shares with the bot,
 * and those of the DM workspace itself (as the orchestrator does). use, list and show look across
 * them; a name found in several places is a question, never a guess.
 */
import { findAgentByName, listAgents } from '../store/agents.ts';
import { workspacesOf } from '../store/identities.ts';
import { excerpt } from './fields.ts';
import { type AgentRow, type Found, failed, findAgent, type Session } from './session.ts';
import { createExample } from './usage.ts';

export const IN_SHARED_SERVERS = 'in the servers you share with the bot';
const DM_PLACE = 'DMs with the bot';

interface Place {
  workspaceId: string;
  label: string;
}

export type Reached = Found & { where?: string };
export type ReachableAgent = Awaited<ReturnType<typeof listAgents>>[number];

/** A Discord DM: the adapter said which servers its user shares with the bot (maybe none). */
export function reachesServers(s: Session): boolean {
  return s.ctx.isDirect && s.ctx.dmWorkspaceExternalIds !== undefined;
}

/** Why a Discord DM finds no agents at all, and what to do instead (creating one here is refused). */
export function noAgentsInReach(s: Session, name: string): string {
  const create = createExample(s.ctx.platform, name);
  const none = s.ctx.dmWorkspaceExternalIds?.length === 0;
  return none
    ? `you share no server with the bot yet. Agents live in servers: create one in a server channel with ${create}`
    : `no agents ${IN_SHARED_SERVERS} yet: create one in a server channel with ${create}`;
}

/** The live agent with this name among the places this DM reaches; elsewhere, as findAgent. */
export async function findReachable(s: Session, name: string): Promise<Reached> {
  const wanted = name.trim();
  if (!reachesServers(s) || wanted === '') return findAgent(s, name);
  const found = await Promise.all(
    (await places(s)).map(async (place) => ({
      place,
      agent: await findAgentByName(s.db, place.workspaceId, wanted),
    })),
  );
  const live = found.flatMap(
    ({ place, agent }): Array<{ agent: AgentRow; where: string }> =>
      agent?.isActive ? [{ agent, where: place.label }] : [],
  );
  const [first, ...others] = live;
  if (first && others.length === 0) return first;
  if (first) {
    const labels = live.map((match) => match.where).join(', ');
    return {
      reply: failed(
        `${first.agent.name} exists in several servers: ${labels}. Ask in the server you mean, or use another name.`,
      ),
    };
  }
  const shown = excerpt(wanted);
  const names = [...new Set((await agentsInReach(s)).map(({ agent }) => agent.name))];
  if (names.length === 0) return { reply: failed(`No agent named ${shown}: ${noAgentsInReach(s, shown)}`) };
  return { reply: failed(`No agent named ${shown} ${IN_SHARED_SERVERS}. Agents: ${names.join(', ')}.`) };
}

/** Every live agent this DM reaches, with the name of the place it lives in. */
export async function agentsInReach(s: Session): Promise<Array<{ agent: ReachableAgent; where: string }>> {
  const lists = await Promise.all(
    (await places(s)).map(async (place) =>
      (await listAgents(s.db, place.workspaceId)).map((agent) => ({ agent, where: place.label })),
    ),
  );
  return lists.flat();
}

/** The DM's own workspace, then the shared servers in the order the adapter gave them. */
async function places(s: Session): Promise<Place[]> {
  const ids = s.ctx.dmWorkspaceExternalIds ?? [];
  const rows = await workspacesOf(s.db, s.ctx.platform, ids);
  const servers = ids.flatMap((externalId): Place[] => {
    const row = rows.find((w) => w.externalId === externalId);
    if (!row || row.id === s.workspaceId) return [];
    const label = s.ctx.dmWorkspaceNames?.[externalId] ?? row.name ?? `server ${externalId}`;
    return [{ workspaceId: row.id, label }];
  });
  return [{ workspaceId: s.workspaceId, label: DM_PLACE }, ...servers];
}
