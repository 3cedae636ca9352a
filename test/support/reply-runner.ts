/**
 * The real reply processor outside a BullMQ worker, wired as a `--role worker` process wires it
 * (src/pipeline.ts): replies and cancellations go to the deliveries queue, which the harness's
 * gateway (or `all`) pipeline posts. Tests run it on a job taken from the replies queue, e.g. twice
 * at once, as when a stalled job is re-run while its first run still works. Pair it with a harness
 * whose pipeline runs no reply worker (`role: 'gateway'`), so nothing else takes the job.
 */
import type { Job } from 'bullmq';
import { type AgentBridgeEvents, createEventBus, type EventBus } from '../../src/core/events.ts';
import type { ReplyJobData } from '../../src/jobs/queues.ts';
import { scheduleDelivery } from '../../src/jobs/schedule.ts';
import { createDirectory } from '../../src/store/directory.ts';
import { fileInputFor } from '../../src/worker/attachments/index.ts';
import { createCallLimits } from '../../src/worker/call-limits.ts';
import { createModelRegistry } from '../../src/worker/providers/registry.ts';
import { createReplyProcessor, type ReplyOutcome } from '../../src/worker/reply-processor.ts';
import type { Harness } from './pipeline-harness.ts';
import { testLogger } from './test-log.ts';

export interface ReplyRunner {
  bus: EventBus<AgentBridgeEvents>;
  /** Runs the processor on the job of that id, as a worker that just took it would. */
  run(jobId: string): Promise<ReplyOutcome>;
  /** The job, for calling the processor on the same data several times. */
  job(jobId: string): Promise<Job<ReplyJobData>>;
  process(job: Job<ReplyJobData>): Promise<ReplyOutcome>;
}

export function replyRunner(h: Harness): ReplyRunner {
  const { config } = h;
  const logger = testLogger();
  const bus = createEventBus({ onListenerError: (error) => logger.error({ err: error }, 'listener failed') });
  const { queues, redis, keys } = h.pipeline;
  const processReply = createReplyProcessor({
    files: fileInputFor(config),
    store: h.store,
    directory: createDirectory(h.store),
    bus,
    limits: createCallLimits({ redis, keys }),
    models: createModelRegistry({
      google: {
        baseURL: config.google.baseUrl,
        ...(config.google.apiKey && { apiKey: config.google.apiKey }),
      },
    }),
    settings: {
      contextMessages: config.contextMessages,
      llmTimeoutMs: config.llmTimeoutMs,
      maxOutputTokens: config.maxOutputTokens,
      agentRateLimitPerMin: config.agentRateLimitPerMin,
      agentMaxConcurrent: config.agentMaxConcurrent,
      providerRateLimitPerMin: config.providerRateLimitPerMin,
      providerMaxConcurrent: config.providerMaxConcurrent,
      defaultModel: config.defaultModel,
      failureMessage: config.failureMessage,
    },
    logger,
    handOff: (reply, meta) => scheduleDelivery(queues.deliveries, { replyId: reply.id, ...meta, reply }),
    async cancel(conversationId, agentId) {
      await queues.deliveries.add(
        'cancel',
        { cancel: { conversationId, agentId } },
        { removeOnComplete: true },
      );
    },
  });

  async function job(jobId: string): Promise<Job<ReplyJobData>> {
    const found = await queues.replies.getJob(jobId);
    if (!found) throw new Error(`no reply job ${jobId} in the queue`);
    return found;
  }

  return {
    bus,
    job,
    process: (j) => processReply(j),
    run: async (jobId) => processReply(await job(jobId)),
  };
}
