/** The paused notice goes out once per conversation and pause: who gets to post it is a claim. */
import type { Db } from './database.ts';
import { isUniqueViolation } from './errors.ts';

export interface PausedNoticeRecord {
  /** When this conversation last got the notice for this agent. */
  noticeSentAt: Date | null;
  /** When the agent was last paused. */
  pausedSince: Date | null;
  /** Whether the conversation has a row for this agent at all. */
  known: boolean;
}

export async function pausedNoticeState(
  db: Db,
  agentId: string,
  conversationId: string,
): Promise<PausedNoticeRecord> {
  const [context, pause] = await Promise.all([
    db.agentConversationContext.findUnique({
      where: { agentId_conversationId: { agentId, conversationId } },
      select: { pausedNoticeAt: true },
    }),
    db.agentAudit.findFirst({
      where: { agentId, action: 'pause' },
      orderBy: { id: 'desc' },
      select: { createdAt: true },
    }),
  ]);
  return {
    noticeSentAt: context?.pausedNoticeAt ?? null,
    pausedSince: pause?.createdAt ?? null,
    known: !!context,
  };
}

/**
 * Records the notice as sent, if what was read is still true: exactly one of several messages
 * arriving at once wins the right to post it.
 */
export async function claimPausedNotice(
  db: Db,
  agentId: string,
  conversationId: string,
  read: PausedNoticeRecord,
): Promise<boolean> {
  const now = new Date();
  if (!read.known) {
    try {
      await db.agentConversationContext.create({ data: { agentId, conversationId, pausedNoticeAt: now } });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
  const { count } = await db.agentConversationContext.updateMany({
    where: { agentId, conversationId, pausedNoticeAt: read.noticeSentAt },
    data: { pausedNoticeAt: now },
  });
  return count > 0;
}
