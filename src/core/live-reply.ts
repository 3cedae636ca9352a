/**
 * Streamed replies, the shapes every side shares (see docs/decisions.md 17). A reply shows while
 * the model writes in ONE platform message, the "started message". It is recorded (Redis, by the
 * reply's key) as soon as it exists, so that any later run of the same work (a retry after a failed
 * model call, a stalled job after a crash, the sweeper's delivery) finishes into it instead of
 * posting a second message. The stored reply stays the final text, stored once, as without
 * streaming; the final delivery turns the started message into part 1 of that reply.
 */
import type { Platform } from './platform.ts';

/** The platform message a streamed reply started. */
export interface StartedMessage {
  platform: Platform;
  channelId: string;
  /** Slack ts, Discord message id. */
  messageId: string;
  /**
   * `stream`: a Slack stream (chat.startStream), open until stopped; `edit`: an ordinary message
   * (posted, then edited whole), or a stream already stopped.
   */
  mode: 'stream' | 'edit';
  /** Discord: the thread the message is in (channelId is then the thread's parent). */
  threadId?: string;
  /** Discord: the webhook that posted it (only it can edit the message); absent: the bot posted it. */
  webhookId?: string;
}

/** Where a streamed reply shows, and as whom. */
export interface LiveTarget {
  platform: Platform;
  channelId: string;
  threadId?: string;
  isDirect: boolean;
  workspaceExternalId: string;
  /** The person the reply answers (Slack needs them to stream in a channel). */
  recipientUserId?: string;
  agent: { id: string; name: string; avatarUrl: string | null };
  /** The message the reply answers (Discord references it, or links to it). */
  replyToMessageId?: string;
  /** The reply's key (liveKey): Discord's bot posts carry a nonce made of it. */
  key?: string;
}

/** What a platform adapter offers for streamed replies; each call shows the whole text so far. */
export interface LiveMessages {
  /** Shows the first text: starts a stream, or posts a message. */
  start(target: LiveTarget, text: string): Promise<StartedMessage>;
  /**
   * Shows `text` in the started message, which shows `shown` so far. Resolves to the message as
   * it is now (a stream that cannot take the text any more is stopped and edited from then on).
   */
  update(message: StartedMessage, text: string, shown: string, target: LiveTarget): Promise<StartedMessage>;
  /** Stops a stream an earlier run left open; the message keeps its text and can be edited. */
  close(message: StartedMessage): Promise<StartedMessage>;
}

/**
 * The reply's key: the same for every run of the same work, since a reply is unique per
 * (conversation, agent, afterReplyId) (docs/decisions.md 10).
 */
export function liveKey(conversationId: string, agentId: string, afterReplyId: number): string {
  return `${conversationId}:${agentId}:${afterReplyId}`;
}

/** One snapshot of a streamed reply, worker → the process that owns the platform connection. */
export interface LiveSnapshot {
  key: string;
  target: LiveTarget;
  /** The whole text so far, made safe like a stored reply. */
  text: string;
  /** Wall-clock ms of the model's first token (for the time-to-first-visible-token metric). */
  firstTokenAt: number;
}
