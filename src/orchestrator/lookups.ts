/** The reads the orchestrator's decisions need, shaped as their plain inputs. */
import type { Db } from '../store/database.ts';
import type { AgentCandidate } from './decisions/agent-candidate.ts';
import type { TurnAuthorship } from './decisions/loop-guard.ts';

/** Every live agent of a workspace (paused ones too: addressing one earns the paused notice). */
export function candidatesFor(db: Db, workspaceIds: string | string[]): Promise<AgentCandidate[]> {
  return db.agent.findMany({
    where: {
      workspaceId: { in: typeof workspaceIds === 'string' ? [workspaceIds] : workspaceIds },
      isActive: true,
    },
    select: {
      id: true,
      name: true,
      status: true,
      isActive: true,
      role: true,
      backstory: true,
      goal: true,
      lastResponseAt: true,
    },
  }) as Promise<AgentCandidate[]>;
}

/** The newest `count` turns of a conversation, oldest first, as the loop guard reads them. */
export async function recentTurns(db: Db, conversationId: string, count: number): Promise<TurnAuthorship[]> {
  const rows = await db.message.findMany({
    where: { conversationId, isActive: true },
    orderBy: { id: 'desc' },
    take: count,
    select: { agentId: true, author: { select: { isBot: true } } },
  });
  return rows.reverse().map((row) => ({
    isBot: row.agentId !== null || row.author?.isBot === true,
    ...(row.agentId && { agentId: row.agentId }),
  }));
}
