/** An edited or deleted platform message: the stored copy follows, so the context stays true. */
import type { Platform } from '../core/types.ts';
import type { Db } from '../store/database.ts';
import { deleteMessage, editMessage } from '../store/messages.ts';

export type MessageChange = {
  platform: Platform;
  workspaceId: string;
  channelId: string;
  threadId?: string | undefined;
  platformMessageId: string;
} & ({ kind: 'edit'; text: string } | { kind: 'delete' });

export async function applyMessageChange(db: Db, change: MessageChange): Promise<{ updated: number }> {
  const conversation = await db.conversation.findFirst({
    where: {
      platform: change.platform,
      channelId: change.channelId,
      threadId: change.threadId ?? '',
      workspace: { externalId: change.workspaceId },
    },
    select: { id: true },
  });
  if (!conversation) return { updated: 0 };
  const { count } =
    change.kind === 'edit'
      ? await editMessage(db, conversation.id, change.platformMessageId, change.text)
      : await deleteMessage(db, conversation.id, change.platformMessageId);
  return { updated: count };
}
