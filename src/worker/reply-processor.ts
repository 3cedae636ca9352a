/**
 * The `replies` job: build the context, call the model, store the reply in one transaction, then
 * enqueue its delivery. The queue owns retries; a re-run after the reply was stored (a crash
 * between commit and enqueue) only re-enqueues the delivery, never calls the model again.
 */
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import { effectiveSystemPrompt } from '../core/system-prompt.ts';
import type { Platform } from '../core/types.ts';
import type { Logger } from '../logger.ts';
import { deliveryJobId } from '../orchestrator/decisions/debounce.ts';
import type { Db } from '../store/database.ts';
import {
  adjustAgentLoad,
  findJobByQueueId,
  recordAttemptFailure,
  startJob,
  storeFailure,
  storeReply,
  unansweredMessageIds,
} from '../store/jobs.ts';
import { lastMessages } from '../store/messages.ts';
import type { AgentLimits } from './agent-limits.ts';
import { buildModelContext } from './context-builder.ts';
import { callModel, isModelCallError } from './llm-call.ts';
import type { ModelRegistry } from './providers/registry.ts';
import type { Queues, ReplyJobData } from './queues.ts';

export interface ReplySettings {
  contextMessages: number;
  llmTimeoutMs: number;
  agentRateLimitPerMin: number;
  agentMaxConcurrent: number;
  defaultModel: string;
  failureMessage: string;
  deliveryAttempts?: number;
}

export interface ReplyProcessorDeps {
  db: Db;
  queues: Queues;
  bus: EventBus<AgentBridgeEvents>;
  limits: AgentLimits;
  models: ModelRegistry;
  settings: ReplySettings;
  logger: Logger;
}

export type ReplyOutcome =
  | { replyMessageId: number; resumed?: true }
  | { skipped: 'agent_unavailable' | 'nothing_to_answer' }
  | { failed: true; replyMessageId: number };

/** Carries a model's Retry-After to the queue's backoff strategy. */
export class RetryableReplyError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
}

export function createReplyProcessor(deps: ReplyProcessorDeps) {
  const { db, bus, settings, logger } = deps;

  async function enqueueDelivery(replyMessageId: number, receivedAt: number, replyJobId: string) {
    await deps.queues.deliveries.add(
      'deliver',
      { replyMessageId, receivedAt, replyJobId },
      {
        jobId: deliveryJobId(replyMessageId),
        attempts: settings.deliveryAttempts ?? 6,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 5000 },
      },
    );
  }

  return async function processReply(job: Job<ReplyJobData>, token?: string): Promise<ReplyOutcome> {
    const { conversationId, agentId, triggerMessageId, receivedAt } = job.data;
    const queueJobId = job.id as string;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;

    const previous = await findJobByQueueId(db, queueJobId);
    if (previous?.replyMessageId && (previous.status === 'completed' || previous.status === 'failed')) {
      await enqueueDelivery(previous.replyMessageId, receivedAt, queueJobId);
      return { replyMessageId: previous.replyMessageId, resumed: true };
    }

    const agent = await db.agent.findUnique({ where: { id: agentId } });
    if (!agent?.isActive || agent.status === 'inactive') {
      await cancelTyping(conversationId, agentId);
      return { skipped: 'agent_unavailable' };
    }
    const conversation = await db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    const platform = conversation.platform as Platform;
    const ref = { platform, conversationId, agentId, jobId: queueJobId };

    const maxConcurrent = Math.min(agent.maxConcurrentJobs, settings.agentMaxConcurrent);
    const lease = settings.llmTimeoutMs + 30_000;
    const limit = await deps.limits.acquire(
      agentId,
      queueJobId,
      { maxConcurrent, perMinute: settings.agentRateLimitPerMin },
      lease,
    );
    if (!limit.ok) {
      // Over its limit the work waits: back to delayed, and the wait does not count as an attempt.
      bus.emit('rate.limited', { ...ref, limit: limit.limit, retryInMs: limit.retryInMs });
      await job.moveToDelayed(Date.now() + limit.retryInMs, token);
      throw new DelayedError();
    }

    let record: Awaited<ReturnType<typeof startJob>> | undefined;
    let answered: number[] = [];
    const startedAt = new Date();
    await adjustAgentLoad(db, agentId, 1);
    try {
      record = await startJob(db, { queueJobId, conversationId, agentId, triggerMessageId, attempt });
      answered = await unansweredMessageIds(db, conversationId, agentId, triggerMessageId);
      const history = await lastMessages(db, conversationId, settings.contextMessages);
      const system = effectiveSystemPrompt(agent);
      const context = buildModelContext({
        agent: { id: agent.id, name: agent.name },
        systemPrompt: system,
        messages: history.map((m) => ({
          id: m.id,
          content: m.content,
          agentId: m.agentId,
          agentName: m.agent?.name ?? null,
          authorId: m.authorId,
          authorName: m.author?.displayName ?? null,
          authorIsBot: m.author?.isBot ?? false,
        })),
      });
      if (context.messages.length === 0) {
        await db.job.update({
          where: { id: record.id },
          data: { status: 'completed', completedAt: new Date() },
        });
        await cancelTyping(conversationId, agentId);
        return { skipped: 'nothing_to_answer' };
      }
      bus.emit('agent.responding', { ...ref, triggerMessageId, attempt, startedAt });
      const spec = modelSpecOf(agent.modelConfig) ?? settings.defaultModel;
      const result = await callModel({
        model: deps.models.resolve(spec),
        system: context.system,
        messages: context.messages,
        timeoutMs: settings.llmTimeoutMs,
      });
      const reply = await storeReply(db, {
        jobId: record.id,
        conversationId,
        agentId,
        triggerMessageId,
        answeredMessageIds: answered,
        text: result.text,
        model: spec,
        system: context.system,
        prompt: context.turns,
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
        attempts: attempt,
        startedAt,
      });
      bus.emit('job.completed', {
        ...ref,
        replyMessageId: reply.id,
        attempts: attempt,
        durationMs: Date.now() - startedAt.getTime(),
        llmMs: result.durationMs,
        ...(result.usage.inputTokens !== undefined && { inputTokens: result.usage.inputTokens }),
        ...(result.usage.outputTokens !== undefined && { outputTokens: result.usage.outputTokens }),
      });
      await enqueueDelivery(reply.id, receivedAt, queueJobId);
      return { replyMessageId: reply.id };
    } catch (error) {
      const fatal = isModelCallError(error) ? error.kind === 'fatal' : false;
      const final = fatal || attempt >= maxAttempts;
      const reason = isModelCallError(error) ? error.reason : (error as Error).message;
      bus.emit('job.failed', { ...ref, queue: 'replies', attempt, maxAttempts, final, reason });
      logger.warn(
        { jobId: queueJobId, agentId, attempt, maxAttempts, final, reason },
        'reply attempt failed',
      );
      if (!record) throw error;
      if (!final) {
        await recordAttemptFailure(db, record.id, attempt, reason);
        throw new RetryableReplyError(reason, isModelCallError(error) ? error.retryAfterMs : undefined);
      }
      const notice = await storeFailure(db, {
        jobId: record.id,
        conversationId,
        agentId,
        triggerMessageId,
        answeredMessageIds: answered,
        reason,
        attempts: attempt,
        failureText: settings.failureMessage,
      });
      await enqueueDelivery(notice.id, receivedAt, queueJobId);
      throw new UnrecoverableError(reason);
    } finally {
      await adjustAgentLoad(db, agentId, -1);
      await deps.limits.release(agentId, queueJobId);
    }
  };

  async function cancelTyping(conversationId: string, agentId: string) {
    await deps.queues.deliveries.add(
      'cancel',
      { cancel: { conversationId, agentId } },
      { removeOnComplete: true },
    );
  }
}

function modelSpecOf(modelConfig: unknown): string | undefined {
  if (modelConfig && typeof modelConfig === 'object' && 'model' in modelConfig) {
    const model = (modelConfig as { model: unknown }).model;
    if (typeof model === 'string' && model.trim()) return model.trim();
  }
  return undefined;
}
