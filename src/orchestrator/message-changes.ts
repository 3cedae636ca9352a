/** An edited or deleted platform message: the stored copy follows, so the context stays true. */
import type { Platform } from '../core/types.ts';
import type { HotStore } from '../store/hot/types.ts';

export type MessageChange = {
  platform: Platform;
  workspaceId: string;
  channelId: string;
  threadId?: string | undefined;
  platformMessageId: string;
} & ({ kind: 'edit'; text: string } | { kind: 'delete' });

/**
 * By channel, not by conversation: a message that opened a thread moved into it, and a platform
 * message id is unique within its channel (Slack ts, Discord snowflake). A deleted message takes
 * its waiting reply intent with it.
 */
export async function applyMessageChange(
  store: HotStore,
  change: MessageChange,
): Promise<{ updated: number }> {
  const updated = await store.applyChange({
    platform: change.platform,
    workspaceExternalId: change.workspaceId,
    channelId: change.channelId,
    platformMessageId: change.platformMessageId,
    ...(change.kind === 'edit' && { text: change.text }),
  });
  return { updated };
}
