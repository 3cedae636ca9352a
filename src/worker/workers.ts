/** BullMQ workers for the two queues, with shutdown that lets active jobs finish (bounded). */
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { DELIVERIES, type DeliveryJobData, REPLIES, type ReplyJobData } from '../jobs/queues.ts';
import { REPLY_BACKOFF, replyBackoffDelay } from '../jobs/schedule.ts';
import type { Logger } from '../logger.ts';
import type { DeliveryOutcome } from './delivery.ts';
import { type ReplyOutcome, RetryableReplyError } from './reply-processor.ts';

export interface WorkerOptions {
  connection: () => Redis;
  prefix: string;
  logger: Logger;
  concurrency?: number;
  /** How long a job may run before another worker may take it over after a crash. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export function startReplyWorker(
  process: (job: Job<ReplyJobData>, token?: string) => Promise<ReplyOutcome>,
  options: WorkerOptions,
): Worker<ReplyJobData> {
  const worker = new Worker<ReplyJobData>(REPLIES, process, {
    connection: options.connection(),
    prefix: options.prefix,
    concurrency: options.concurrency ?? 32,
    ...(options.lockDurationMs && { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs && { stalledInterval: options.stalledIntervalMs }),
    settings: {
      backoffStrategy: (attemptsMade, type, error, job) => {
        if (type !== REPLY_BACKOFF) return 0;
        const base = (job?.opts.backoff as { delay?: number } | undefined)?.delay ?? 1000;
        return replyBackoffDelay(
          attemptsMade,
          base,
          (error as RetryableReplyError | undefined)?.retryAfterMs,
        );
      },
    },
  });
  worker.on('error', (error) => options.logger.error({ err: error, queue: REPLIES }, 'worker error'));
  return worker;
}

export function startDeliveryWorker(
  process: (job: Job<DeliveryJobData>) => Promise<DeliveryOutcome>,
  options: WorkerOptions,
): Worker<DeliveryJobData> {
  const worker = new Worker<DeliveryJobData>(DELIVERIES, process, {
    connection: options.connection(),
    prefix: options.prefix,
    concurrency: options.concurrency ?? 16,
    ...(options.lockDurationMs && { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs && { stalledInterval: options.stalledIntervalMs }),
  });
  worker.on('error', (error) => options.logger.error({ err: error, queue: DELIVERIES }, 'worker error'));
  worker.on('failed', (job, error) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    const fields = { err: error, jobId: job.id, attempt: job.attemptsMade };
    if (final) options.logger.error(fields, 'delivery failed for good');
    else options.logger.warn(fields, 'delivery attempt failed; it will be retried');
  });
  return worker;
}

/**
 * Stops taking jobs, waits up to `graceMs` for active ones, then closes regardless: a job still
 * running is left to its lock, which expires so that another worker runs it again.
 * pause() does the waiting: once close() has begun, BullMQ answers a later close(true) with the
 * pending graceful close, so a close cannot be forced after it started.
 */
export async function closeWorker(worker: Worker, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const finished = worker.pause().then(
    () => 'finished' as const,
    () => 'finished' as const,
  );
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const result = await Promise.race([finished, timeout]);
  clearTimeout(timer);
  await worker.close(result === 'timeout');
}

export { RetryableReplyError };
