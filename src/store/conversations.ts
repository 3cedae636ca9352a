/** Conversations: a DM, a channel's top level, or a thread (threadId "" means none). */
import type { Platform } from '../core/types.ts';
import type { DbOrTx } from './database.ts';
import { isUniqueViolation } from './errors.ts';

export type ConversationKind = 'dm' | 'channel' | 'thread';

export interface ConversationKey {
  platform: Platform;
  workspaceId: string;
  channelId: string;
  threadId?: string | undefined;
}

export async function ensureConversation(db: DbOrTx, key: ConversationKey, kind: ConversationKind) {
  const where = {
    platform_workspaceId_channelId_threadId: {
      platform: key.platform,
      workspaceId: key.workspaceId,
      channelId: key.channelId,
      threadId: key.threadId ?? '',
    },
  };
  const existing = await db.conversation.findUnique({ where });
  if (existing) return existing;
  try {
    return await db.conversation.create({ data: { ...where.platform_workspaceId_channelId_threadId, kind } });
  } catch (error) {
    if (isUniqueViolation(error)) return db.conversation.findUniqueOrThrow({ where });
    throw error;
  }
}

export function setActiveAgent(db: DbOrTx, conversationId: string, agentId: string | null) {
  return db.conversation.update({ where: { id: conversationId }, data: { activeAgentId: agentId } });
}

/** The highest message a reply's model call saw (what it answers), if it is a reply. */
export async function answeredThrough(db: DbOrTx, replyMessageId: number): Promise<number | null> {
  const reply = await db.message.findUnique({
    where: { id: replyMessageId },
    select: { answersThrough: true },
  });
  return reply?.answersThrough ?? null;
}
