/**
 * The `replies` job: read the conversation and the intents waiting for this agent (one
 * statement), call the model, store the reply with the intents it answers (one transaction),
 * then hand it to delivery. The queue owns retries.
 *
 * Exactly once: a reply answers exactly the intents its model call saw. A job that finds none
 * does nothing (a burst, or a message that arrived during generation, was answered already).
 * Two runs of the same work (a stalled job run twice, the sweeper's re-enqueue) can store at most
 * one reply: the store refuses a second reply after the same previous one, and the run that lost
 * reads again and answers only what is still waiting.
 */
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import { effectiveSystemPrompt } from '../core/system-prompt.ts';
import { effectiveModel } from '../core/tenancy.ts';
import { mayReach } from '../core/workspace-reach.ts';
import type { ReplyJobData, ReplyToPost } from '../jobs/queues.ts';
import { firstSeen, type Logger } from '../logger.ts';
import type { Directory } from '../store/directory.ts';
import type { AgentRecord, HotStore, ReplyContext } from '../store/hot/types.ts';
import type { LiveOpen } from '../streaming/live-outlet.ts';
import type { FileInput } from './attachments/index.ts';
import { type BudgetDeps, settleAfter, stopOverBudget } from './budget-stop.ts';
import type { CallLimits, LimitClaim } from './call-limits.ts';
import { buildModelContext, type ModelContext } from './context-builder.ts';
import { openLiveFeed } from './live-feed.ts';
import { callModel, isModelCallError } from './llm-call.ts';
import { type ModelRegistry, parseModelSpec } from './providers/registry.ts';
import { noticeRefusedKey } from './refused-key.ts';
import { answerOf, answerWithFailure, replyToPost, safeReplyText } from './stored-answer.ts';

/** Reads after losing a race to another run of the same work, before leaving it to a later job. */
const MAX_ROUNDS = 3;

export interface ReplySettings {
  contextMessages: number;
  llmTimeoutMs: number;
  /** MAX_OUTPUT_TOKENS: the model stops there, so no answer is longer than this. */
  maxOutputTokens: number;
  agentRateLimitPerMin: number;
  agentMaxConcurrent: number;
  providerRateLimitPerMin: number;
  providerMaxConcurrent: number;
  defaultModel: string;
  /** ALLOWED_MODELS: an agent whose model is outside them answers with the default model. */
  allowedModels?: readonly string[];
  failureMessage: string;
}

export interface ReplyProcessorDeps {
  store: HotStore;
  directory: Directory;
  bus: EventBus<AgentBridgeEvents>;
  limits: CallLimits;
  models: ModelRegistry;
  /** Adds the files of the context's messages to the model input. */
  files: FileInput;
  settings: ReplySettings;
  logger: Logger;
  /** Posts a stored reply: inline where the adapter lives, else through the deliveries queue. */
  handOff(reply: ReplyToPost, meta: { replyJobId: string; receivedAt: number }): Promise<void>;
  /** The job ends without a reply: clear the typing signal. */
  cancel(conversationId: string, agentId: string): Promise<void>;
  /** Budgets (usage/budget-gate.ts); absent: none are enforced. */
  budgets?: BudgetDeps;
  /** Streams the answer as the model writes it (where a process can show it). */
  live?: LiveOpen;
}

export type ReplyOutcome =
  | { replyMessageId: number }
  | {
      skipped:
        | 'agent_unavailable'
        | 'nothing_to_answer'
        | 'answered_elsewhere'
        | 'uninstalled'
        | 'over_budget';
    }
  | { failed: true; replyMessageId: number };

/** The job must not run at all (see `mayReach`): it fails at once, without retries. */
export class RejectedReplyJob extends UnrecoverableError {}

function crossWorkspaceReason(context: ReplyContext): string {
  const r = context.reach;
  return r
    ? `cross_workspace: agent of workspace ${r.agentWorkspaceId} (${r.agentPlatform}) may not answer in a conversation of workspace ${r.conversationWorkspaceId} (${r.conversationPlatform})`
    : 'cross_workspace: the conversation or the agent does not exist';
}

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
  const { store, bus, settings, logger } = deps;
  /** Agents reported as answering with the default model (said once per agent and model). */
  const firstReport = firstSeen(10_000);

  return async function processReply(job: Job<ReplyJobData>, token?: string): Promise<ReplyOutcome> {
    const { conversationId, agentId, messageId, receivedAt } = job.data;
    const queueJobId = job.id as string;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const ref = { platform: job.data.target.platform, conversationId, agentId, jobId: queueJobId };

    const agent = await deps.directory.agent(agentId);
    if (!agent?.isActive || agent.status === 'inactive') {
      // Paused or deleted meanwhile: what waited for it will not be answered by it.
      await store.releaseIntents(conversationId, agentId);
      await deps.cancel(conversationId, agentId);
      return { skipped: 'agent_unavailable' };
    }
    /** Ends the job for good: what waited is released, the job recorded failed, no retry. */
    const endForGood = async (reason: string) => {
      await store.releaseIntents(conversationId, agentId);
      await store.recordAttempt({
        final: true,
        queueJobId,
        conversationId,
        agentId,
        triggerMessageId: messageId,
        attempts: attempt,
        error: reason,
      });
      bus.emit('job.failed', { ...ref, queue: 'replies', attempt, maxAttempts, final: true, reason });
    };
    if (agent.workspaceUninstalled) {
      // The app was removed from the workspace: no model call, no retries, nothing to post.
      await endForGood('uninstalled');
      return { skipped: 'uninstalled' };
    }

    const choice = effectiveModel(agent.model, settings);
    const { model } = choice;
    if (choice.notAllowed && firstReport(`${agentId}:${choice.notAllowed}`)) {
      logger.warn(
        { agentId, model: choice.notAllowed, instead: model },
        'agent model is not in ALLOWED_MODELS: it answers with the default model until its model is changed',
      );
    }
    const claims = limitClaims(agentId, model, settings);
    const limit = await deps.limits.acquire(queueJobId, claims, settings.llmTimeoutMs + 30_000);
    if (!limit.ok) {
      // Over a limit the work waits: back to delayed, and the wait does not count as an attempt.
      bus.emit('rate.limited', {
        ...ref,
        scope: limit.scope,
        limit: limit.limit,
        retryInMs: limit.retryInMs,
      });
      await job.moveToDelayed(Date.now() + limit.retryInMs, token);
      throw new DelayedError();
    }

    const startedAt = new Date();
    let context: ReplyContext | undefined;
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        context = await store.readContext(conversationId, agentId, settings.contextMessages);
        if (!mayReach(context.reach)) {
          // A job naming an agent of another workspace (a forged or corrupted job, or a bug
          // upstream): nothing is read to a model or posted, and retrying cannot make it right.
          const reason = crossWorkspaceReason(context);
          logger.warn({ jobId: queueJobId, conversationId, agentId, reason }, 'reply job rejected');
          await endForGood(reason);
          await deps.cancel(conversationId, agentId);
          throw new RejectedReplyJob(reason);
        }
        if (context.pendingIds.length === 0) {
          await deps.cancel(conversationId, agentId);
          return { skipped: round === 0 ? 'nothing_to_answer' : 'answered_elsewhere' };
        }
        const prompt = promptFor(agent, context);
        if (prompt.messages.length === 0) {
          // Only empty messages wait (no text, no file): nothing the model could answer.
          await store.releaseIntents(conversationId, agentId);
          await deps.cancel(conversationId, agentId);
          return { skipped: 'nothing_to_answer' };
        }
        const instance = await deps.models.resolve(model, { workspaceId: agent.workspaceId });
        const input = await deps.files.modelInput(
          prompt,
          context.messages,
          job.data.target.platform,
          instance,
        );
        const budget = await deps.budgets?.gate.reserve(agent, model, input);
        if (budget?.ok === false) {
          const work = { data: job.data, agent, queueJobId, attempts: attempt, startedAt, context };
          await stopOverBudget(deps, budget, work);
          return { skipped: 'over_budget' };
        }
        bus.emit('agent.responding', { ...ref, triggerMessageId: messageId, attempt, startedAt });
        const live = openLiveFeed(deps.live, agent, job.data, context, safeReplyText);
        const result = await settleAfter(
          budget,
          callModel({
            model: instance,
            system: input.system,
            messages: input.messages,
            timeoutMs: settings.llmTimeoutMs,
            maxOutputTokens: settings.maxOutputTokens,
            ...(live && { onText: (text: string) => live.feed.push(text) }),
          }).finally(() => live?.feed.end()),
        );
        const text = safeReplyText(job.data.target.platform, result.text, context);
        const stored = await store.storeReply({
          ...answerOf(context),
          conversationId,
          agentId,
          triggerMessageId: messageId,
          text,
          queueJobId,
          attempts: attempt,
          startedAt,
          status: 'completed',
          llm: {
            model,
            system: input.system,
            userTurns: input.turns.filter((turn) => turn.role === 'user'),
            inputTokens: result.usage.inputTokens,
            outputTokens: result.usage.outputTokens,
          },
        });
        if (!stored.stored) continue;
        bus.emit('job.completed', {
          ...ref,
          replyMessageId: stored.id,
          attempts: attempt,
          durationMs: Date.now() - startedAt.getTime(),
          llmMs: result.durationMs,
          model,
          ...(result.usage.inputTokens !== undefined && { inputTokens: result.usage.inputTokens }),
          ...(result.usage.outputTokens !== undefined && { outputTokens: result.usage.outputTokens }),
        });
        await deps.handOff(replyToPost(stored.id, stored.createdAt, agent, text, job.data, live?.key), {
          replyJobId: queueJobId,
          receivedAt,
        });
        return { replyMessageId: stored.id };
      }
      return { skipped: 'answered_elsewhere' };
    } catch (error) {
      if (error instanceof RejectedReplyJob) throw error;
      const fatal = isModelCallError(error) ? error.kind === 'fatal' : false;
      const final = fatal || attempt >= maxAttempts;
      const reason = isModelCallError(error) ? error.reason : (error as Error).message;
      bus.emit('job.failed', { ...ref, queue: 'replies', attempt, maxAttempts, final, reason });
      logger.warn(
        { jobId: queueJobId, agentId, attempt, maxAttempts, final, reason },
        'reply attempt failed',
      );
      if (!final) {
        await store.recordAttempt({
          queueJobId,
          conversationId,
          agentId,
          triggerMessageId: messageId,
          attempts: attempt,
          error: reason,
        });
        throw new RetryableReplyError(reason, isModelCallError(error) ? error.retryAfterMs : undefined);
      }
      // The last attempt: the user is told, and what waited is answered by that notice.
      await noticeRefusedKey(deps.budgets, agent, model, error);
      await answerWithFailure(deps, {
        data: job.data,
        agent,
        queueJobId,
        attempts: attempt,
        startedAt,
        reason,
        ...(context && { context }),
      });
      throw new UnrecoverableError(reason);
    } finally {
      await deps.limits.release(queueJobId, claims);
    }
  };

  function promptFor(agent: AgentRecord, context: ReplyContext): ModelContext {
    return buildModelContext({
      agent: { id: agent.id, name: agent.name },
      systemPrompt: effectiveSystemPrompt(agent),
      messages: context.messages,
    });
  }
}

/**
 * The limits one model call runs under: its agent's (AGENT_MAX_CONCURRENT governs: an agent's stored
 * value is what it was when it was created), and its provider's when PROVIDER_* set any.
 */
export function limitClaims(
  agentId: string,
  model: string,
  settings: Pick<
    ReplySettings,
    'agentMaxConcurrent' | 'agentRateLimitPerMin' | 'providerMaxConcurrent' | 'providerRateLimitPerMin'
  >,
): LimitClaim[] {
  const claims: LimitClaim[] = [
    {
      scope: 'agent',
      id: agentId,
      limits: { maxConcurrent: settings.agentMaxConcurrent, perMinute: settings.agentRateLimitPerMin },
    },
  ];
  const provider = parseModelSpec(model);
  const capped = settings.providerMaxConcurrent > 0 || settings.providerRateLimitPerMin > 0;
  if (capped && provider.ok) {
    claims.push({
      scope: 'provider',
      id: provider.provider,
      limits: { maxConcurrent: settings.providerMaxConcurrent, perMinute: settings.providerRateLimitPerMin },
    });
  }
  return claims;
}
