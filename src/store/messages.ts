/** Stored messages: every inbound message (context, whether or not it triggers) and every reply. */
import type { DbOrTx } from './database.ts';
import { isUniqueViolation } from './errors.ts';

export interface InboundMessageRecord {
  conversationId: string;
  authorId: string;
  content: string;
  platformMessageId: string;
  platformEventId?: string | undefined;
  sentAt: Date;
}

export type StoreInboundResult =
  | { duplicate: false; message: StoredMessage }
  | { duplicate: true; message: StoredMessage | null };

export type StoredMessage = Awaited<ReturnType<typeof findMessageByPlatformId>> & {};

/**
 * Stores an inbound message once. A redelivery (same platform message id or event id in the
 * conversation) is reported as a duplicate, never stored twice: the unique indexes decide, so
 * several gateway processes agree.
 */
export async function storeInboundMessage(
  db: DbOrTx,
  record: InboundMessageRecord,
): Promise<StoreInboundResult> {
  try {
    const message = await db.message.create({
      data: {
        conversationId: record.conversationId,
        authorId: record.authorId,
        content: record.content,
        platformMessageId: record.platformMessageId,
        platformEventId: record.platformEventId ?? null,
        sentAt: record.sentAt,
      },
    });
    return { duplicate: false, message };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return {
      duplicate: true,
      message: await findMessageByPlatformId(db, record.conversationId, record.platformMessageId),
    };
  }
}

export function findMessageByPlatformId(db: DbOrTx, conversationId: string, platformMessageId: string) {
  return db.message.findUnique({
    where: { conversationId_platformMessageId: { conversationId, platformMessageId } },
  });
}

/** The last `limit` live messages of a conversation, oldest first, with who wrote them. */
export async function lastMessages(db: DbOrTx, conversationId: string, limit: number) {
  const newestFirst = await db.message.findMany({
    where: { conversationId, isActive: true },
    orderBy: { id: 'desc' },
    take: limit,
    include: {
      author: { select: { id: true, displayName: true, isBot: true, externalId: true } },
      agent: { select: { id: true, name: true } },
    },
  });
  return newestFirst.reverse();
}

export function editMessage(db: DbOrTx, conversationId: string, platformMessageId: string, content: string) {
  return db.message.updateMany({
    where: { conversationId, platformMessageId },
    data: { content, editedAt: new Date() },
  });
}

export function deleteMessage(db: DbOrTx, conversationId: string, platformMessageId: string) {
  return db.message.updateMany({ where: { conversationId, platformMessageId }, data: { isActive: false } });
}
