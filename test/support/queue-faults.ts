/** What Redis and BullMQ do to work in bad times, done on purpose by tests. */
import type { Queue } from 'bullmq';
import { replyDebounceKey } from '../../src/jobs/ids.ts';
import type { Pipeline } from '../../src/pipeline.ts';
import { waitFor } from './wait-for.ts';

/**
 * Redis loses the waiting reply job of an agent in a conversation (its job and its deduplication
 * key), as after a failover or a flush. Returns the id of the job that was lost.
 */
export async function loseReplyJob(pipeline: Pipeline, conversationId: string, agentId: string) {
  const queue = pipeline.queues.replies;
  const debounceKey = replyDebounceKey(conversationId, agentId);
  const jobId = await waitFor('a reply job to lose', () => queue.getDeduplicationJobId(debounceKey));
  const job = await queue.getJob(jobId);
  if (!job) throw new Error(`reply job ${jobId} is already gone`);
  await job.remove();
  if (await queue.getDeduplicationJobId(debounceKey)) throw new Error('the deduplication key survived');
  return jobId;
}

/**
 * Waits until the job has failed for good, running each retry at once instead of after its backoff
 * (every attempt still runs in the worker and fails there).
 */
export async function exhaustRetries(queue: Queue, jobId: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    `job ${jobId} to fail for good`,
    async () => {
      const job = await queue.getJob(jobId);
      if (!job) return false;
      const state = await job.getState();
      if (state === 'delayed') await job.promote().catch(() => undefined);
      return state === 'failed';
    },
    timeoutMs,
  );
}

/** Resolves once no job of the queue waits, runs or is delayed. */
export async function drained(queue: Queue, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    `queue ${queue.name} drained`,
    async () => {
      const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0);
    },
    timeoutMs,
  );
}
