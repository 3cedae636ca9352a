/**
 * One debounced reply job per conversation and agent. BullMQ deduplication in debounce mode:
 * every add within the window replaces the waiting job (data = the newest trigger) and restarts
 * its delay; `keepLastIfActive` keeps an add that arrives while the job already runs, so a message
 * sent during generation gets its own reply instead of being silently dropped.
 */
import type { Queue } from 'bullmq';
import type { ReplyJobData } from '../worker/queues.ts';
import { replyDebounceKey } from './decisions/debounce.ts';

export const REPLY_BACKOFF = 'reply-backoff';

export interface ScheduleSettings {
  debounceMs: number;
  jobAttempts: number;
  jobBackoffMs: number;
}

export async function scheduleReply(
  queue: Queue<ReplyJobData>,
  settings: ScheduleSettings,
  data: ReplyJobData,
): Promise<{ jobId: string; debounced: boolean }> {
  const key = replyDebounceKey(data.conversationId, data.agentId);
  const waiting = await queue.getDeduplicationJobId(key);
  const job = await queue.add('reply', data, {
    // Unique per trigger message and never reused: the database keys the job record by it, so
    // BullMQ's counter (which restarts with an emptied Redis) must not be the id.
    jobId: `${key}.${data.triggerMessageId}`,
    deduplication: {
      id: key,
      // ttl must be positive; with no debounce each message still gets at most one waiting job.
      ttl: Math.max(settings.debounceMs, 1),
      extend: true,
      replace: true,
      keepLastIfActive: true,
    },
    delay: settings.debounceMs,
    attempts: settings.jobAttempts,
    backoff: { type: REPLY_BACKOFF, delay: settings.jobBackoffMs },
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 5000 },
  });
  return { jobId: job.id ?? key, debounced: Boolean(waiting) };
}

/** Exponential from JOB_BACKOFF_MS, but never sooner than a 429's Retry-After asked. */
export function replyBackoffDelay(
  attemptsMade: number,
  baseMs: number,
  retryAfterMs: number | undefined,
): number {
  const exponential = baseMs * 2 ** Math.max(0, attemptsMade - 1);
  return Math.max(exponential, retryAfterMs ?? 0);
}
