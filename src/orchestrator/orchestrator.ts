/**
 * From a normalized inbound message to a scheduled reply job: dedupe, store, decide, pick the
 * agent, start the typing signal, debounce. Every decision is a pure function in ./decisions;
 * this module only gathers their inputs and carries out their answers.
 */
import type { Redis } from 'ioredis';
import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import type { InboundMessage, Platform, PlatformAdapter, TypingTarget } from '../core/types.ts';
import type { Logger } from '../logger.ts';
import { agentsInChannel } from '../store/agents.ts';
import { ensureConversation } from '../store/conversations.ts';
import type { Db } from '../store/database.ts';
import { storeInboundMessage } from '../store/messages.ts';
import type { Queues } from '../worker/queues.ts';
import { mayAddressByName, resolveAddressing } from './decisions/addressing.ts';
import { type AgentCandidate, isPaused } from './decisions/agent-candidate.ts';
import { selectAgent } from './decisions/agent-selection.ts';
import { replyDebounceKey } from './decisions/debounce.ts';
import { pausedNoticeText, shouldSendPausedNotice } from './decisions/paused-notice.ts';
import { decideReply } from './decisions/reply-decision.ts';
import { createIdentityCache } from './identity-cache.ts';
import {
  conversationKind,
  isOwnPost,
  replyThread,
  replyThreadRoot,
  SELF,
  typingTarget,
} from './inbound-mapping.ts';
import { candidatesFor, recentTurns } from './lookups.ts';
import { applyMessageChange, type MessageChange } from './message-changes.ts';
import {
  chooseAgentHelp,
  NO_AGENT_IN_CHANNEL_HELP,
  NO_AGENTS_HELP,
  NO_AGENTS_IN_SHARED_SERVERS_HELP,
} from './notices.ts';
import { scheduleReply } from './schedule.ts';
import type { TypingManager } from './typing.ts';

export interface OrchestratorSettings {
  debounceMs: number;
  maxAgentHops: number;
  jobAttempts: number;
  jobBackoffMs: number;
}

export interface OrchestratorDeps {
  db: Db;
  redis: Redis;
  queues: Queues;
  bus: EventBus<AgentBridgeEvents>;
  typing: TypingManager;
  adapters: Partial<Record<Platform, PlatformAdapter>>;
  settings: OrchestratorSettings;
  logger: Logger;
  /** How long the fast Redis dedupe marker lives; the database's unique indexes are the truth. */
  dedupeTtlSeconds?: number;
  /** Redis key namespace of the dedupe markers. */
  dedupePrefix?: string;
}

export { replyThread } from './inbound-mapping.ts';
export type { MessageChange } from './message-changes.ts';

export type InboundOutcome =
  | { status: 'duplicate' }
  /** A channel message no agent can hear: not stored. */
  | { status: 'ignored' }
  | { status: 'own_message' }
  | { status: 'stored'; messageId: number; reason: string }
  | { status: 'notice'; messageId: number; notice: 'help' | 'paused' | 'no_agents' | 'no_agent_in_channel' }
  | { status: 'scheduled'; messageId: number; agentId: string; jobId: string; debounced: boolean };

export function createOrchestrator(deps: OrchestratorDeps) {
  const { db, redis, bus, settings, logger } = deps;
  const markerTtl = deps.dedupeTtlSeconds ?? 24 * 3600;
  const identities = createIdentityCache(db);

  async function handleInbound(message: InboundMessage): Promise<InboundOutcome> {
    const adapter = deps.adapters[message.platform];
    const bot = adapter?.identity() ?? { userId: '' };
    const marker = `${deps.dedupePrefix ?? 'ab'}:seen:${message.platform}:${message.workspaceId}:${message.channelId}:${message.platformMessageId}`;
    if (await redis.exists(marker)) return { status: 'duplicate' };
    if (isOwnPost(message, bot)) return { status: 'own_message' };

    const workspace = { id: await identities.workspaceId(message.platform, message.workspaceId) };
    const agents = await candidatesFor(db, await reachableWorkspaceIds(message, workspace.id));
    const joined = message.isDirect
      ? []
      : await agentsInChannel(db, message.platform, message.channelId, workspace.id);
    const addressing = resolveAddressing(message, bot.userId, agents);
    // A channel no agent has joined is none of our business unless the message speaks to us.
    if (
      !message.isDirect &&
      joined.length === 0 &&
      !addressing.botMentioned &&
      addressing.addressedAgentIds.length === 0
    ) {
      return { status: 'ignored' };
    }

    const author = {
      id: await identities.userId({
        platform: message.platform,
        externalId: message.author.id,
        displayName: message.author.displayName,
        isBot: message.author.isBot || Boolean(message.author.isWebhook),
      }),
    };
    // A Slack channel message that speaks to us gets its reply in a thread on itself, and that
    // thread is its conversation from the start: follow-ups there see the question and the answer,
    // and both deliveries of one mention (app_mention + message) land on the same unique key.
    const threadRoot =
      addressing.botMentioned || addressing.addressedAgentIds.length > 0
        ? replyThreadRoot(message)
        : undefined;
    const conversation = await ensureConversation(
      db,
      {
        platform: message.platform,
        workspaceId: workspace.id,
        channelId: message.channelId,
        threadId: message.threadId ?? threadRoot,
      },
      threadRoot ? 'thread' : conversationKind(message),
    );
    const stored = await storeInboundMessage(db, {
      conversationId: conversation.id,
      authorId: author.id,
      content: message.text,
      platformMessageId: message.platformMessageId,
      platformEventId: message.platformEventId,
      sentAt: message.sentAt,
    });
    // Only now, with the message safely stored, may a redelivery be turned away early.
    await redis.set(marker, '1', 'EX', markerTtl);
    if (stored.duplicate || !stored.message) return { status: 'duplicate' };
    const messageId = stored.message.id;
    bus.emit('message.created', {
      platform: message.platform,
      conversationId: conversation.id,
      messageId,
      workspaceId: workspace.id,
      authorId: author.id,
      isBot: message.author.isBot,
      sentAt: message.sentAt,
      storedAt: stored.message.createdAt,
    });

    const decision = decideReply({
      isDirect: message.isDirect,
      author: message.author,
      bot,
      addressing,
      joinedAgentCount: joined.length,
      // Only a bot's message is judged by the agent chain before it: spare people the query.
      recentTurns:
        message.author.isBot || message.author.isWebhook
          ? await recentTurns(db, conversation.id, settings.maxAgentHops + 1)
          : [],
      maxAgentHops: settings.maxAgentHops,
    });
    const ref = { platform: message.platform, conversationId: conversation.id, messageId };
    if (!decision.reply) {
      bus.emit('reply.decided', { ...ref, reply: false, reason: decision.reason });
      if (decision.reason === 'no_agent_in_channel') {
        void postNotice(message, NO_AGENT_IN_CHANNEL_HELP, `hint-${messageId}`);
        return { status: 'notice', messageId, notice: 'no_agent_in_channel' };
      }
      return { status: 'stored', messageId, reason: decision.reason };
    }

    // A DM thread shares the DM's chosen agent.
    const dmRoot =
      message.isDirect && message.threadId
        ? await ensureConversation(
            db,
            { platform: message.platform, workspaceId: workspace.id, channelId: message.channelId },
            'dm',
          )
        : conversation;
    const selection = selectAgent({
      agents,
      addressedAgentIds: addressing.addressedAgentIds,
      ...(message.author.agentId && { authorAgentId: message.author.agentId }),
      conversation: message.isDirect
        ? { isDirect: true, activeAgentId: dmRoot.activeAgentId }
        : { isDirect: false, joinedAgentIds: joined.map((a) => a.id) },
      text: addressing.strippedText,
    });
    bus.emit('reply.decided', {
      ...ref,
      reply: selection.kind === 'agent',
      reason: selection.kind === 'agent' ? decision.reason : selection.kind,
      ...(selection.kind === 'agent' && { agentId: selection.agent.id }),
    });

    switch (selection.kind) {
      case 'help':
        void postNotice(message, chooseAgentHelp(selection.agents), `help-${messageId}`);
        return { status: 'notice', messageId, notice: 'help' };
      case 'none':
        if (message.isDirect) {
          const text = message.dmWorkspaceIds ? NO_AGENTS_IN_SHARED_SERVERS_HELP : NO_AGENTS_HELP;
          void postNotice(message, text, `help-${messageId}`);
        }
        return selection.reason === 'no_agents' && message.isDirect
          ? { status: 'notice', messageId, notice: 'no_agents' }
          : { status: 'stored', messageId, reason: selection.reason };
      case 'paused':
        await maybePausedNotice(message, conversation.id, selection.agent);
        return { status: 'notice', messageId, notice: 'paused' };
      case 'agent':
        break;
    }

    return schedule(message.platform, conversation.id, selection.agent.id, messageId, typingTarget(message));
  }

  async function schedule(
    platform: Platform,
    conversationId: string,
    agentId: string,
    messageId: number,
    target: TypingTarget,
  ): Promise<InboundOutcome> {
    const adapter = deps.adapters[platform];
    // The signal shows as soon as the reply is decided, before the debounce window.
    if (adapter) void deps.typing.start(replyDebounceKey(conversationId, agentId), adapter, target);
    const { jobId, debounced } = await scheduleReply(deps.queues.replies, settings, {
      conversationId,
      agentId,
      triggerMessageId: messageId,
      receivedAt: Date.now(),
    });
    if (debounced) bus.emit('message.debounced', { platform, conversationId, messageId, jobId, agentId });
    await db.agent.updateMany({ where: { id: agentId, status: 'active' }, data: { status: 'busy' } });
    return { status: 'scheduled', messageId, agentId, jobId, debounced };
  }

  /**
   * An agent's delivered reply may address another agent (`Nova, what do you think?`). It was
   * stored when generated and its platform echo is ignored, so it is judged here, under the
   * same loop rules as any bot message.
   */
  async function handleAgentReply(
    replyMessageId: number,
    delivered?: { content: string; conversationId: string; platform: Platform },
  ): Promise<InboundOutcome> {
    if (delivered && !mayAddressByName(delivered.content)) {
      const { conversationId, platform } = delivered;
      bus.emit('reply.decided', {
        platform,
        conversationId,
        messageId: replyMessageId,
        reply: false,
        reason: 'not_addressed',
      });
      return { status: 'stored', messageId: replyMessageId, reason: 'not_addressed' };
    }
    const reply = await db.message.findUnique({
      where: { id: replyMessageId },
      include: { conversation: { include: { workspace: true } } },
    });
    if (!reply?.agentId) return { status: 'own_message' };
    const { conversation } = reply;
    const platform = conversation.platform as Platform;
    const isDirect = conversation.kind === 'dm';
    const agents = await candidatesFor(db, conversation.workspaceId);
    // An agent speaks through the bot, so its reply reads as if the bot were mentioned:
    // `Nova, what do you think?` addresses Nova as it would after `@bot`.
    const addressing = resolveAddressing(
      { text: reply.content, isDirect, mentionedUserIds: [SELF], mentionedAgentNames: [] },
      SELF,
      agents,
    );
    const author = { id: `agent:${reply.agentId}`, isBot: true, agentId: reply.agentId };
    const decision = decideReply({
      isDirect,
      author,
      bot: { userId: '' },
      addressing,
      joinedAgentCount: 0,
      recentTurns: await recentTurns(db, conversation.id, settings.maxAgentHops + 1),
      maxAgentHops: settings.maxAgentHops,
    });
    const ref = { platform, conversationId: conversation.id, messageId: reply.id };
    if (!decision.reply) {
      bus.emit('reply.decided', { ...ref, reply: false, reason: decision.reason });
      return { status: 'stored', messageId: reply.id, reason: decision.reason };
    }
    const selection = selectAgent({
      agents,
      addressedAgentIds: addressing.addressedAgentIds,
      authorAgentId: reply.agentId,
      conversation: isDirect
        ? { isDirect: true, activeAgentId: null }
        : { isDirect: false, joinedAgentIds: [] },
      text: addressing.strippedText,
    });
    if (selection.kind !== 'agent' || selection.via !== 'addressed') {
      bus.emit('reply.decided', {
        ...ref,
        reply: false,
        reason: selection.kind === 'agent' ? 'not_addressed' : selection.kind,
      });
      return { status: 'stored', messageId: reply.id, reason: selection.kind };
    }
    bus.emit('reply.decided', { ...ref, reply: true, reason: decision.reason, agentId: selection.agent.id });
    const threadId = conversation.threadId || undefined;
    return schedule(platform, conversation.id, selection.agent.id, reply.id, {
      channelId: conversation.channelId,
      ...(threadId && { threadId }),
      isDirect,
      workspaceId: conversation.workspace.externalId,
      ...(reply.platformMessageId && { triggerPlatformMessageId: reply.platformMessageId }),
    });
  }

  /** A Discord DM reaches the agents of the guilds its author shares with the bot. */
  async function reachableWorkspaceIds(message: InboundMessage, ownId: string): Promise<string[]> {
    if (!message.isDirect || !message.dmWorkspaceIds?.length) return [ownId];
    const shared = await db.workspace.findMany({
      where: { platform: message.platform, externalId: { in: message.dmWorkspaceIds } },
      select: { id: true },
    });
    return [ownId, ...shared.map((w) => w.id)];
  }

  async function maybePausedNotice(message: InboundMessage, conversationId: string, agent: AgentCandidate) {
    if (!isPaused(agent)) return;
    const key = { agentId_conversationId: { agentId: agent.id, conversationId } };
    const context = await db.agentConversationContext.findUnique({ where: key });
    const pausedSince = await db.agentAudit.findFirst({
      where: { agentId: agent.id, action: 'pause' },
      orderBy: { id: 'desc' },
      select: { createdAt: true },
    });
    if (
      !shouldSendPausedNotice({
        noticeSentAt: context?.pausedNoticeAt ?? null,
        pausedSince: pausedSince?.createdAt ?? null,
      })
    )
      return;
    await db.agentConversationContext.upsert({
      where: key,
      create: { agentId: agent.id, conversationId, pausedNoticeAt: new Date() },
      update: { pausedNoticeAt: new Date() },
    });
    await postNotice(
      message,
      pausedNoticeText(agent.name),
      `paused-${agent.id}-${message.platformMessageId}`,
    );
  }

  /** Posted directly, never awaited by handleInbound: the platform's ack must not wait on it. */
  async function postNotice(message: InboundMessage, text: string, idempotencyKey: string) {
    const adapter = deps.adapters[message.platform];
    if (!adapter) return;
    try {
      await adapter.deliver({
        conversationId: '',
        channelId: message.channelId,
        ...(replyThread(message) && { threadId: replyThread(message) }),
        isDirect: message.isDirect,
        workspaceId: message.workspaceId,
        agent: { id: 'agent-bridge', name: 'agent-bridge' },
        text,
        replyToPlatformMessageId: message.platformMessageId,
        idempotencyKey,
      });
    } catch (error) {
      logger.warn({ err: error, platform: message.platform }, 'could not post a notice');
    }
  }

  return {
    handleInbound,
    handleAgentReply,
    handleChange: (change: MessageChange) => applyMessageChange(db, change),
  };
}

export type Orchestrator = ReturnType<typeof createOrchestrator>;
