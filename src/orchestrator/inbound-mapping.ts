/** Pure mappings from an inbound message to where it lives and where its reply goes. */
import type { InboundMessage, TypingTarget } from '../core/types.ts';
import type { ConversationKind } from '../store/hot/types.ts';

/** The bot's own id when an agent's reply is read as a message: it always "mentions" the bot. */
export const SELF = '\u0000agent-bridge';

export function isOwnPost(message: InboundMessage, bot: { userId: string; botId?: string }): boolean {
  // Our agents' replies are stored when they are generated; their platform echo adds nothing.
  if (message.author.agentId) return true;
  if (bot.userId && message.author.id === bot.userId) return true;
  return Boolean(bot.botId && message.author.botId === bot.botId);
}

/** A DM thread stays `dm`: delivery must know it is private. */
export function conversationKind(message: Pick<InboundMessage, 'isDirect' | 'threadId'>): ConversationKind {
  if (message.isDirect) return 'dm';
  return message.threadId ? 'thread' : 'channel';
}

/** Where replies to the message go: its thread, or the thread the platform opens for replies. */
export function replyThread(message: Pick<InboundMessage, 'threadId' | 'replyThreadId'>): string | undefined {
  return message.threadId ?? message.replyThreadId;
}

/** Where a reply opens a new thread (Slack channel top level): the message itself is its root. */
export function replyThreadRoot(
  message: Pick<InboundMessage, 'threadId' | 'replyThreadId'>,
): string | undefined {
  return message.threadId ? undefined : message.replyThreadId;
}

export function typingTarget(message: InboundMessage, agent?: { loading?: string[] }): TypingTarget {
  const threadId = replyThread(message);
  return {
    channelId: message.channelId,
    ...(threadId && { threadId }),
    isDirect: message.isDirect,
    workspaceId: message.workspaceId,
    triggerPlatformMessageId: message.platformMessageId,
    ...(agent?.loading && { loadingMessages: agent.loading }),
  };
}
