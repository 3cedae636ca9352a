/**
 * The platform-neutral shapes every adapter produces and consumes. The orchestrator and worker
 * only ever see these: no Slack or Discord type crosses this line.
 */
import type { Attachment } from './attachments.ts';
import type { LiveMessages, StartedMessage } from './live-reply.ts';
import type { Platform } from './platform.ts';

export type { Platform };

export interface InboundAuthor {
  /** Platform user id (Slack `U…`, Discord snowflake, shell user name). */
  id: string;
  displayName: string;
  isBot: boolean;
  /** Set when the author is a bot: the platform's bot id (Slack `B…`), for loop detection. */
  botId?: string;
  /** The message came through a webhook (Discord `webhook_id`), i.e. possibly one of our agent identities. */
  isWebhook?: boolean;
  /** Set when the platform tells us the message was posted by one of our own agents. */
  agentId?: string;
  /**
   * The platform itself speaks (Slackbot's notices: "You have been removed from #x"): stored, never
   * answered, whatever it says.
   */
  isSystem?: boolean;
}

export interface InboundMessage {
  platform: Platform;
  /** Slack team id, Discord guild id (`@dm` for Discord DMs), `local` for the shell. */
  workspaceId: string;
  channelId: string;
  /** Thread root id when the message is in a thread (Slack `thread_ts`, Discord thread channel). */
  threadId?: string;
  isDirect: boolean;
  /**
   * Discord DMs have no guild: the workspaces (guild ids) the author shares with the bot, whose
   * agents this DM may reach. Unset elsewhere: the DM's own workspace is used.
   */
  dmWorkspaceIds?: string[];
  author: InboundAuthor;
  text: string;
  /** Files the message carried (descriptors only: fetched at reply time, never stored). */
  attachments?: Attachment[];
  /**
   * Where a reply goes when the platform threads replies: Slack channel messages are answered in
   * their own thread (or the thread they are in). Unset: replies go where the message is.
   */
  replyThreadId?: string;
  /** Platform user ids mentioned in the message (the bot user among them when it was @mentioned). */
  mentionedUserIds: string[];
  /** The agent whose earlier message this one replies to (Discord reply to an agent's post). */
  repliedToAgentId?: string;
  platformMessageId: string;
  /** Delivery id of the event (Slack `event_id`); dedupes retries and redeliveries. */
  platformEventId?: string;
  /** When the platform says the message was sent. */
  sentAt: Date;
}

export interface OutboundReply {
  conversationId: string;
  channelId: string;
  threadId?: string;
  isDirect: boolean;
  workspaceId: string;
  agent: { id: string; name: string; avatarUrl?: string | null };
  text: string;
  /** The platform message id this reply answers, for threading / message references. */
  replyToPlatformMessageId?: string;
  /** Stable across retries of the same delivery: lets platforms that support it refuse a double post. */
  idempotencyKey: string;
  /** Platform ids of the parts an earlier attempt posted and recorded, by index: never posted again. */
  postedParts?: readonly string[];
  /**
   * An earlier attempt may have posted parts it could not record (a crash, a response lost on the
   * way back): before posting such a part, look for it on the platform by its idempotency key.
   */
  mayHavePosted?: boolean;
  /** When the reply was stored: a lookup for earlier posts never needs to search before it. */
  createdAt?: Date;
  /**
   * MAX_REPLY_PARTS: post at most this many messages, the last ending with `…(truncated)`
   * (see core/reply-parts.ts). Unset: every part (notices, which are short).
   */
  maxParts?: number;
  /** A streamed reply's started message: its first part replaces what that message shows. */
  started?: StartedMessage;
}

/** One platform message of a reply (a long reply is split into several). */
export interface PostedPart {
  index: number;
  platformMessageId: string;
  /** This part completes the reply. */
  last: boolean;
}

/** Called after each part is posted; the next part is posted only once it resolved. */
export type OnPartPosted = (part: PostedPart) => Promise<void>;

export interface TypingTarget {
  channelId: string;
  threadId?: string;
  isDirect: boolean;
  workspaceId: string;
  triggerPlatformMessageId?: string;
  /** The replying agent's working messages (`loading=`): Slack rotates them in the status. */
  loadingMessages?: readonly string[];
}

export interface BotIdentity {
  userId: string;
  botId?: string;
  name: string;
}

/** The small surface each platform implements; everything else is shared. */
export interface PlatformAdapter {
  readonly platform: Platform;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Posts the parts of the reply not yet in `postedParts`, handing each to `onPosted` (which
   * records it durably) before the next; resolves to the platform ids of every part, in order.
   */
  deliver(reply: OutboundReply, onPosted?: OnPartPosted): Promise<string[]>;
  /** Streamed replies (see core/live-reply.ts), where the platform can show them. */
  live?: LiveMessages;
  startTyping(target: TypingTarget): Promise<void>;
  stopTyping(target: TypingTarget): Promise<void>;
  /** Who the bot is on this platform, once started. */
  identity(): BotIdentity | undefined;
  /** A direct message from the bot to a person (the budget owner's notice), where the platform allows it. */
  directMessage?(userId: string, text: string): Promise<void>;
}

export type Vote = 'up' | 'down';

/** A 👍/👎 click on an agent's reply, as an adapter reports it. */
export interface FeedbackClickEvent {
  platform: Platform;
  /** The reply's delivery key, `reply-<message id>`. */
  replyKey: string;
  userId: string;
  vote: Vote;
}
