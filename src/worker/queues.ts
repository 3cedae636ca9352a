/**
 * The one queue factory. `replies` carries debounced reply jobs (model calls); `deliveries` carries
 * posting a stored reply, retried on its own so a platform outage never costs a second model call.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export const REPLIES = 'replies';
export const DELIVERIES = 'deliveries';

export interface ReplyJobData {
  conversationId: string;
  agentId: string;
  /** The newest message that asked for this reply (debouncing keeps the last add's data). */
  triggerMessageId: number;
  /** When the trigger arrived (ms since epoch), for the inbound → delivered latency. */
  receivedAt: number;
}

export type DeliveryJobData =
  /** Post a stored reply (or the stored FAILURE_MESSAGE). */
  | { replyMessageId: number; receivedAt?: number; replyJobId?: string }
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
