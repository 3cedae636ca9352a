/**
 * The `deliveries` job: post a stored reply through its platform's adapter, record the platform
 * message id, stop the typing signal. It runs where the adapters live (the gateway). A reply that
 * was already delivered is never posted again; the adapter gets a stable idempotency key so a
 * platform that supports one (Discord's nonce) refuses a double post after a crash.
 */
import type { Job } from 'bullmq';
import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import type { Platform, PlatformAdapter } from '../core/types.ts';
import { replyDebounceKey } from '../orchestrator/decisions/debounce.ts';
import type { TypingManager } from '../orchestrator/typing.ts';
import type { Db } from '../store/database.ts';
import type { DeliveryJobData } from './queues.ts';

export interface DeliveryProcessorDeps {
  db: Db;
  bus: EventBus<AgentBridgeEvents>;
  typing: TypingManager;
  adapters: Partial<Record<Platform, PlatformAdapter>>;
  /** Called after a reply was posted: the orchestrator checks whether it addresses another agent. */
  onDelivered?: (reply: {
    id: number;
    content: string;
    conversationId: string;
    platform: Platform;
  }) => Promise<unknown>;
}

export type DeliveryOutcome =
  | { delivered: true; platformMessageId: string }
  | { delivered: false; reason: 'already_delivered' | 'missing' | 'cancelled' };

export function createDeliveryProcessor(deps: DeliveryProcessorDeps) {
  const { db, bus } = deps;

  return async function processDelivery(job: Job<DeliveryJobData>): Promise<DeliveryOutcome> {
    if ('cancel' in job.data) {
      await deps.typing.stop(replyDebounceKey(job.data.cancel.conversationId, job.data.cancel.agentId));
      return { delivered: false, reason: 'cancelled' };
    }
    const reply = await db.message.findUnique({
      where: { id: job.data.replyMessageId },
      include: { conversation: { include: { workspace: true } }, agent: true },
    });
    if (!reply?.agent) return { delivered: false, reason: 'missing' };
    const typingKey = replyDebounceKey(reply.conversationId, reply.agent.id);
    if (reply.deliveredAt) {
      await deps.typing.stop(typingKey);
      return { delivered: false, reason: 'already_delivered' };
    }
    const { conversation } = reply;
    const platform = conversation.platform as Platform;
    const adapter = deps.adapters[platform];
    // Thrown, so the job waits for a process that has this platform (e.g. a gateway restarting).
    if (!adapter) throw new Error(`no ${platform} adapter runs in this process`);

    const trigger = reply.replyToId
      ? await db.message.findUnique({ where: { id: reply.replyToId }, select: { platformMessageId: true } })
      : null;
    const isDirect = conversation.kind === 'dm';
    const threadId =
      conversation.threadId ||
      (platform === 'slack' && !isDirect ? (trigger?.platformMessageId ?? undefined) : undefined);
    const [platformMessageId = ''] = await adapter.deliver({
      conversationId: conversation.id,
      channelId: conversation.channelId,
      ...(threadId && { threadId }),
      isDirect,
      workspaceId: conversation.workspace.externalId,
      agent: { id: reply.agent.id, name: reply.agent.name, avatarUrl: reply.agent.avatarUrl },
      text: reply.content,
      ...(trigger?.platformMessageId && { replyToPlatformMessageId: trigger.platformMessageId }),
      idempotencyKey: `reply-${reply.id}`,
    });
    const deliveredAt = new Date();
    await db.message.update({ where: { id: reply.id }, data: { platformMessageId, deliveredAt } });
    await deps.typing.stop(typingKey);
    bus.emit('agent.responded', {
      platform,
      conversationId: conversation.id,
      agentId: reply.agent.id,
      // The reply job's id, like every other event about this reply.
      jobId: job.data.replyJobId ?? (job.id as string),
      replyMessageId: reply.id,
      platformMessageId,
      deliveredAt,
      latencyMs: deliveredAt.getTime() - (job.data.receivedAt ?? reply.createdAt.getTime()),
    });
    await deps.onDelivered?.({
      id: reply.id,
      content: reply.content,
      conversationId: conversation.id,
      platform,
    });
    return { delivered: true, platformMessageId };
  };
}
