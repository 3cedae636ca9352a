/**
 * The reply job's part in streaming: whether this reply streams (the agent's `stream` switch, and a
 * process that can show it), its key, and the text each snapshot shows: the answer so far made safe
 * exactly as the stored reply will be (safeReplyText), so nothing shows mid-stream that the final
 * text would not.
 */
import { type LiveTarget, liveKey } from '../core/live-reply.ts';
import type { Platform } from '../core/types.ts';
import type { ReplyJobData } from '../jobs/queues.ts';
import type { AgentRecord, ReplyContext } from '../store/hot/types.ts';
import type { LiveFeed, LiveOpen } from '../streaming/live-outlet.ts';

export function openLiveFeed(
  open: LiveOpen | undefined,
  agent: AgentRecord,
  data: ReplyJobData,
  context: ReplyContext,
  render: (platform: Platform, raw: string, context: ReplyContext) => string,
): { feed: LiveFeed; key: string } | undefined {
  const key = liveKeyFor(agent, data, context);
  if (!open || !key) return undefined;
  const { target } = data;
  const live: LiveTarget = {
    platform: target.platform,
    channelId: target.channelId,
    ...(target.threadId && { threadId: target.threadId }),
    isDirect: target.isDirect,
    workspaceExternalId: target.workspaceExternalId,
    ...(target.authorExternalId && { recipientUserId: target.authorExternalId }),
    agent: { id: agent.id, name: agent.name, avatarUrl: agent.avatarUrl },
    ...(target.replyToPlatformMessageId && { replyToMessageId: target.replyToPlatformMessageId }),
    key,
  };
  return { key, feed: open(key, live, (raw) => render(target.platform, raw, context)) };
}

/** The key a reply's delivery finishes into, when its agent streams (FAILURE_MESSAGE included). */
export function liveKeyFor(
  agent: AgentRecord,
  data: ReplyJobData,
  context: ReplyContext,
): string | undefined {
  if (!agent.streamReplies || data.target.platform === 'shell') return undefined;
  return liveKey(data.conversationId, agent.id, context.lastReplyId);
}
