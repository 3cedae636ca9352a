/**
 * The one queue factory and the job data both sides share. `replies` carries debounced reply jobs
 * (model calls); `deliveries` carries posting a stored reply when it cannot be posted where it was
 * made (a separate worker process, or a platform outage), retried on its own so an outage never
 * costs a second model call.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Platform } from '../core/types.ts';

export const REPLIES = 'replies';
export const DELIVERIES = 'deliveries';

/** Where a reply goes: everything posting it needs, so delivery reads nothing back. */
export interface ReplyTarget {
  platform: Platform;
  channelId: string;
  /** The thread the reply goes in, if any. */
  threadId?: string;
  isDirect: boolean;
  /** The platform's workspace id (Slack team, Discord guild or `@dm`). */
  workspaceExternalId: string;
  /** The message the reply answers (Discord references it). */
  replyToPlatformMessageId?: string;
  /** Who wrote it (Slack streams a reply in a channel to the person it answers). */
  authorExternalId?: string;
}

export interface ReplyJobData {
  conversationId: string;
  agentId: string;
  /** The message whose arrival scheduled this job (debouncing keeps the last add's data). */
  messageId: number;
  /** When that message arrived (ms since epoch), for the inbound → delivered latency. */
  receivedAt: number;
  target: ReplyTarget;
}

/** A stored reply as delivery needs it; carried in the job on its first attempt. */
export interface ReplyToPost {
  id: number;
  conversationId: string;
  agent: { id: string; name: string; avatarUrl: string | null };
  text: string;
  createdAt: number;
  target: ReplyTarget;
  /** A streamed reply's key (core/live-reply.ts): its delivery finishes into the started message. */
  liveKey?: string;
}

/** A reply once posted: the orchestrator checks whether it addresses another agent. */
export interface DeliveredReply {
  id: number;
  content: string;
  conversationId: string;
  agentId: string;
  target: ReplyTarget;
  /** The platform id of its first posted part. */
  platformMessageId: string;
}

export type DeliveryJobData =
  /** Post a stored reply (or the stored FAILURE_MESSAGE). Without `reply`, read it from the store. */
  | { replyId: number; receivedAt?: number; replyJobId?: string; reply?: ReplyToPost }
  /** The reply job ended without a reply (agent deleted or paused meanwhile): clear the typing signal. */
  | { cancel: { conversationId: string; agentId: string } };

export interface Queues {
  replies: Queue<ReplyJobData>;
  deliveries: Queue<DeliveryJobData>;
  prefix: string;
  close(): Promise<void>;
}

export function createQueues(connection: Redis, prefix = 'ab'): Queues {
  const replies = new Queue<ReplyJobData>(REPLIES, { connection, prefix });
  const deliveries = new Queue<DeliveryJobData>(DELIVERIES, { connection, prefix });
  return {
    replies,
    deliveries,
    prefix,
    async close() {
      await Promise.all([replies.close(), deliveries.close()]);
    },
  };
}
