/**
 * How jobs are added. Reply jobs: one debounced job per conversation and agent (BullMQ
 * deduplication in debounce mode: every add within the window replaces the waiting job, data =
 * the newest trigger, and restarts its delay; `keepLastIfActive` keeps an add that arrives while
 * the job already runs, so a message sent during generation gets its own job). The store decides
 * what a job answers, so a job that finds nothing waiting simply ends.
 */
import type { JobsOptions, Queue } from 'bullmq';
import { deliveryJobId, replyDebounceKey, replyJobId } from './ids.ts';
import type { DeliveryJobData, ReplyJobData } from './queues.ts';

export const REPLY_BACKOFF = 'reply-backoff';
/** A delivery is retried this often (exponential from 1 s) before the sweeper takes over. */
export const DELIVERY_ATTEMPTS = 8;

export interface ScheduleSettings {
  debounceMs: number;
  jobAttempts: number;
  jobBackoffMs: number;
}

export interface BulkJob<T> {
  name: string;
  data: T;
  opts: JobsOptions;
}

/** `attempt` > 0: a re-enqueue (the sweeper, a redelivered event), which must not reuse a finished id. */
export function replyJob(settings: ScheduleSettings, data: ReplyJobData, attempt = 0): BulkJob<ReplyJobData> {
  return {
    name: 'reply',
    data,
    opts: {
      jobId: replyJobId(data.conversationId, data.agentId, data.messageId, attempt),
      deduplication: {
        id: replyDebounceKey(data.conversationId, data.agentId),
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
    },
  };
}

/** Adds reply jobs in one Redis round trip. */
export async function scheduleReplies(
  queue: Queue<ReplyJobData>,
  settings: ScheduleSettings,
  jobs: ReadonlyArray<{ data: ReplyJobData; attempt?: number }>,
): Promise<void> {
  if (jobs.length === 0) return;
  await queue.addBulk(jobs.map((job) => replyJob(settings, job.data, job.attempt)));
}

/** One job id per reply: adding it again while it exists adds nothing. */
export function deliveryJob(data: DeliveryJobData & { replyId: number }): BulkJob<DeliveryJobData> {
  return {
    name: 'deliver',
    data,
    opts: {
      jobId: deliveryJobId(data.replyId),
      attempts: DELIVERY_ATTEMPTS,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    },
  };
}

export async function scheduleDelivery(
  queue: Queue<DeliveryJobData>,
  data: DeliveryJobData & { replyId: number },
): Promise<void> {
  const job = deliveryJob(data);
  await queue.add(job.name, job.data, job.opts);
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
