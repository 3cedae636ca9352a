/** An edited or deleted platform message: the stored copy follows, so the context stays true. */
import type { Platform } from '../core/types.ts';
import type { Db } from '../store/database.ts';

export type MessageChange = {
  platform: Platform;
  workspaceId: string;
  channelId: string;
  threadId?: string | undefined;
  platformMessageId: string;
} & ({ kind: 'edit'; text: string } | { kind: 'delete' });

export async function applyMessageChange(db: Db, change: MessageChange): Promise<{ updated: number }> {
  // By channel, not by conversation: a message that opened a thread moved into it. A platform
  // message id is unique within its channel (Slack ts, Discord snowflake).
  const where = {
    platformMessageId: change.platformMessageId,
    conversation: {
      platform: change.platform,
      channelId: change.channelId,
      workspace: { externalId: change.workspaceId },
    },
  };
  const { count } = await db.message.updateMany({
    where,
    data: change.kind === 'edit' ? { content: change.text, editedAt: new Date() } : { isActive: false },
  });
  return { updated: count };
}
