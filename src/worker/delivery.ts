/**
 * Posting a stored reply through its platform's adapter, where the adapters live (the gateway):
 * inline right after the reply is stored when the adapter is in the same process, else as a
 * `deliveries` job. Each posted part is recorded before the next is posted, and the last one marks
 * the reply delivered, so a retry posts only what is missing; a retry that cannot know whether an
 * earlier attempt posted (a crash, a lost response) asks the adapter to look first.
 */
import type { Job } from 'bullmq';
import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import { liveKey } from '../core/live-reply.ts';
import type { OutboundReply, Platform, PlatformAdapter } from '../core/types.ts';
import { isUndeliverable } from '../core/undeliverable.ts';
import { replyDebounceKey } from '../jobs/ids.ts';
import type { DeliveredReply, DeliveryJobData, ReplyTarget, ReplyToPost } from '../jobs/queues.ts';
import type { Logger } from '../logger.ts';
import type { TypingManager } from '../orchestrator/typing.ts';
import type { DeliveryRecord, HotStore } from '../store/hot/types.ts';
import type { LiveHub } from '../streaming/live-hub.ts';

export interface DeliveryDeps {
  store: HotStore;
  /**
   * How long after storing a reply its first attempt may post without looking first: after this
   * (JOB_LOCK_MS) the sweeper may take the reply over, so a late first attempt posts like a retry.
   */
  firstAttemptMs: number;
  /** MAX_REPLY_PARTS: the most messages one reply is posted as. */
  maxReplyParts?: number;
  bus: EventBus<AgentBridgeEvents>;
  typing: TypingManager;
  adapters: Partial<Record<Platform, PlatformAdapter>>;
  logger: Logger;
  /** After a reply was posted: the orchestrator checks whether it addresses another agent. */
  onDelivered?: (reply: DeliveredReply) => Promise<unknown>;
  /** Whether the app was removed from the workspace (remembered: no statement per reply). */
  isUninstalled?: (platform: Platform, workspaceExternalId: string) => Promise<boolean>;
  /** Streamed replies shown by this process: a reply's delivery finishes into its started message. */
  live?: LiveHub;
}

export type DeliveryOutcome =
  | { delivered: true; platformMessageIds: string[] }
  | { delivered: false; reason: 'already_delivered' | 'missing' | 'cancelled' | 'uninstalled' }
  /** The platform refused it for good (its channel is gone): recorded, never tried again. */
  | { delivered: false; reason: 'undeliverable'; detail: string };

export interface DeliveryAttempt {
  /** Parts an earlier attempt recorded. */
  postedParts: readonly string[];
  /** An earlier attempt may have posted parts it could not record. */
  mayHavePosted: boolean;
  replyJobId?: string | undefined;
  receivedAt?: number | undefined;
}

export function createDelivery(deps: DeliveryDeps) {
  const { store, bus } = deps;

  /**
   * Posts the reply; throws when the platform failed (the caller retries). Not posted, and not
   * retried: the app was removed from the workspace, or the platform refuses the reply for good
   * (its channel deleted: recorded as undeliverable).
   */
  async function deliver(reply: ReplyToPost, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
    const { target } = reply;
    if (await deps.isUninstalled?.(target.platform, target.workspaceExternalId)) {
      deps.logger.info(
        { replyId: reply.id, workspace: target.workspaceExternalId },
        'reply not posted: the app was removed from this workspace',
      );
      return { delivered: false, reason: 'uninstalled' };
    }
    try {
      return { delivered: true, platformMessageIds: await post(reply, attempt) };
    } catch (error) {
      if (!isUndeliverable(error)) throw error;
      await store.recordUndeliverable(reply.id, `not delivered: ${error.message}`);
      await deps.typing.stop(replyDebounceKey(reply.conversationId, reply.agent.id));
      deps.logger.warn(
        { replyId: reply.id, platform: reply.target.platform, reason: error.message },
        'reply cannot be delivered (its channel is gone): recorded as failed, not retried',
      );
      return { delivered: false, reason: 'undeliverable', detail: error.message };
    }
  }

  async function post(reply: ReplyToPost, attempt: DeliveryAttempt): Promise<string[]> {
    const { target } = reply;
    const adapter = deps.adapters[target.platform];
    // Thrown, so the job waits for a process that has this platform (e.g. a gateway restarting).
    if (!adapter) throw new Error(`no ${target.platform} adapter runs in this process`);
    const posted = [...attempt.postedParts];
    const started =
      reply.liveKey && deps.live?.shows(target.platform)
        ? await deps.live.finish(reply.liveKey, target.platform)
        : undefined;
    const outbound: OutboundReply = {
      conversationId: reply.conversationId,
      channelId: target.channelId,
      ...(target.threadId && { threadId: target.threadId }),
      isDirect: target.isDirect,
      workspaceId: target.workspaceExternalId,
      agent: reply.agent,
      text: reply.text,
      ...(target.replyToPlatformMessageId && { replyToPlatformMessageId: target.replyToPlatformMessageId }),
      idempotencyKey: `reply-${reply.id}`,
      postedParts: attempt.postedParts,
      mayHavePosted: attempt.mayHavePosted,
      createdAt: new Date(reply.createdAt),
      ...(deps.maxReplyParts !== undefined && { maxParts: deps.maxReplyParts }),
      ...(started && { started }),
    };
    const ids = await adapter.deliver(outbound, async (part) => {
      posted[part.index] = part.platformMessageId;
      await store.recordPosted(reply.id, posted, part.last);
    });
    const deliveredAt = new Date();
    await deps.typing.stop(replyDebounceKey(reply.conversationId, reply.agent.id));
    const [first = ''] = ids;
    bus.emit('agent.responded', {
      platform: target.platform,
      conversationId: reply.conversationId,
      agentId: reply.agent.id,
      jobId: attempt.replyJobId ?? `reply-${reply.id}`,
      replyMessageId: reply.id,
      platformMessageId: first,
      deliveredAt,
      latencyMs: deliveredAt.getTime() - (attempt.receivedAt ?? reply.createdAt),
    });
    await deps.onDelivered?.({
      id: reply.id,
      content: reply.text,
      conversationId: reply.conversationId,
      agentId: reply.agent.id,
      target,
      platformMessageId: first,
    });
    return ids;
  }

  /** The `deliveries` job. Its first run carries the reply; a retry reads it (and its parts) back. */
  async function processDelivery(job: Job<DeliveryJobData>): Promise<DeliveryOutcome> {
    const { data } = job;
    if ('cancel' in data) {
      await deps.typing.stop(replyDebounceKey(data.cancel.conversationId, data.cancel.agentId));
      return { delivered: false, reason: 'cancelled' };
    }
    const meta = { replyJobId: data.replyJobId, receivedAt: data.receivedAt };
    if (
      data.reply &&
      job.attemptsStarted <= 1 &&
      mayPostInline(data.reply.createdAt, Date.now(), deps.firstAttemptMs)
    ) {
      return deliver(data.reply, { postedParts: [], mayHavePosted: false, ...meta });
    }
    const record = await store.readDelivery(data.replyId);
    if (!record) return { delivered: false, reason: 'missing' };
    if (record.deliveredAt) {
      await deps.typing.stop(replyDebounceKey(record.conversationId, record.agentId));
      return { delivered: false, reason: 'already_delivered' };
    }
    if (record.workspaceUninstalled) return { delivered: false, reason: 'uninstalled' };
    return deliver(replyToPost(record), {
      postedParts: record.postedParts,
      mayHavePosted: true,
      ...meta,
    });
  }

  return { deliver, processDelivery };
}

export type Delivery = ReturnType<typeof createDelivery>;

/**
 * Whether the first attempt at a reply stored at `createdAt` may still post without looking for an
 * earlier post: only within `firstAttemptMs`, the time after which the sweeper may deliver it too.
 */
export function mayPostInline(createdAt: number, now: number, firstAttemptMs: number): boolean {
  return now - createdAt < firstAttemptMs;
}

/** A stored reply read back, in the shape its first delivery attempt carried. */
export function replyToPost(record: DeliveryRecord): ReplyToPost {
  const target: ReplyTarget = {
    platform: record.platform,
    channelId: record.channelId,
    ...(record.threadId && { threadId: record.threadId }),
    isDirect: record.kind === 'dm',
    workspaceExternalId: record.workspaceExternalId,
    ...(record.replyToPlatformMessageId && { replyToPlatformMessageId: record.replyToPlatformMessageId }),
  };
  return {
    id: record.id,
    conversationId: record.conversationId,
    agent: { id: record.agentId, name: record.agentName, avatarUrl: record.agentAvatarUrl },
    text: record.content,
    createdAt: record.createdAt.getTime(),
    target,
    // A retry cannot know whether the reply streamed: its record, if any, says.
    ...(record.afterReplyId !== null && {
      liveKey: liveKey(record.conversationId, record.agentId, record.afterReplyId),
    }),
  };
}
