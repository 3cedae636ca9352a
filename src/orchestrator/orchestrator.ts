/**
 * From a normalized inbound message to a stored message with its reply intent and a scheduled
 * reply job: gather the facts (cached lookups), route (one pure decision path, shared with
 * agents' replies), store and schedule through the group commit, then the effects (typing,
 * notices). The platform's acknowledgement waits for the store and the schedule, nothing else.
 */

import { encodeAttachments } from '../core/attachments.ts';
import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import type { InboundMessage, Platform, PlatformAdapter } from '../core/types.ts';
import { replyDebounceKey, replyJobId } from '../jobs/ids.ts';
import type { DeliveredReply, ReplyTarget } from '../jobs/queues.ts';
import type { Logger } from '../logger.ts';
import type { Db } from '../store/database.ts';
import type { Directory } from '../store/directory.ts';
import type { AgentRecord, ConversationRecord, HotStore } from '../store/hot/types.ts';
import { mayAddressByName, resolveAddressing } from './decisions/addressing.ts';
import type { AgentCandidate } from './decisions/agent-candidate.ts';
import type { TurnAuthorship } from './decisions/loop-guard.ts';
import { createEffects } from './effects.ts';
import type { GroupCommit, ScheduledJob } from './group-commit.ts';
import { conversationKind, isOwnPost, replyThreadRoot, SELF, typingTarget } from './inbound-mapping.ts';
import { applyMessageChange, type MessageChange } from './message-changes.ts';
import { isHeard, type Route, route } from './route.ts';
import type { TypingManager } from './typing.ts';

export interface OrchestratorSettings {
  debounceMs: number;
  maxAgentHops: number;
}

export interface OrchestratorDeps {
  directory: Directory;
  store: HotStore;
  /** Prisma, for the rare paths (the paused notice's state). */
  db: Db;
  commit: GroupCommit;
  /** Adds reply jobs (agents addressing agents). */
  schedule(jobs: readonly ScheduledJob[]): Promise<void>;
  bus: EventBus<AgentBridgeEvents>;
  typing: TypingManager;
  adapters: Partial<Record<Platform, PlatformAdapter>>;
  settings: OrchestratorSettings;
  logger: Logger;
  /** A message came from a workspace marked uninstalled: the app is back there. */
  onWorkspaceBack?(platform: Platform, externalId: string): Promise<void>;
}

export type { MessageChange } from './message-changes.ts';

export type InboundOutcome =
  | { status: 'duplicate' }
  /** A channel message no agent can hear: not stored. */
  | { status: 'ignored' }
  | { status: 'own_message' }
  | { status: 'stored'; messageId: number; reason: string }
  | { status: 'notice'; messageId: number; notice: 'help' | 'paused' | 'no_agents' | 'no_agent_in_channel' }
  | { status: 'scheduled'; messageId: number; agentId: string; jobId: string; debounced: boolean };

const MAX_REMEMBERED = 10_000;

export function createOrchestrator(deps: OrchestratorDeps) {
  const { directory, store, bus, settings } = deps;
  const effects = createEffects(deps);
  /** When this process last picked each agent, and last scheduled each debounce key. */
  const lastPicked = new Map<string, number>();
  const lastScheduled = new Map<string, number>();

  function remember(map: Map<string, number>, key: string, at: number) {
    map.delete(key);
    if (map.size >= MAX_REMEMBERED) map.delete(map.keys().next().value as string);
    map.set(key, at);
  }

  function candidates(agents: readonly AgentRecord[]): AgentCandidate[] {
    return agents.map((agent) => {
      const picked = lastPicked.get(agent.id);
      return {
        id: agent.id,
        name: agent.name,
        status: agent.status,
        isActive: agent.isActive,
        role: agent.role,
        backstory: agent.backstory,
        goal: agent.goal,
        ...(agent.loading && { loading: agent.loading }),
        lastResponseAt: picked === undefined ? null : new Date(picked),
      };
    });
  }

  /** The agent chain before this message, for the loop guard: read only for bots. */
  async function turnsBefore(conversationId: string): Promise<TurnAuthorship[]> {
    const turns = await store.recentTurns(conversationId, settings.maxAgentHops + 1);
    return turns.map((t) => ({ isBot: t.isBot, ...(t.agentId && { agentId: t.agentId }) }));
  }

  /** Whether this schedule joins a reply already waiting (for the metric; the queue decides). */
  function noteScheduled(conversationId: string, agentId: string): boolean {
    const key = replyDebounceKey(conversationId, agentId);
    const now = Date.now();
    const previous = lastScheduled.get(key);
    remember(lastScheduled, key, now);
    remember(lastPicked, agentId, now);
    return previous !== undefined && now - previous <= settings.debounceMs;
  }

  async function handleInbound(message: InboundMessage): Promise<InboundOutcome> {
    const adapter = deps.adapters[message.platform];
    const bot = adapter?.identity() ?? { userId: '' };
    if (isOwnPost(message, bot)) return { status: 'own_message' };

    const workspace = await directory.workspace(message.platform, message.workspaceId);
    // Remembered until the next change: costs a statement only on the first message after one.
    if (workspace.uninstalled) await deps.onWorkspaceBack?.(message.platform, message.workspaceId);
    const workspaceId = workspace.id;
    const reach =
      message.isDirect && message.dmWorkspaceIds?.length
        ? [workspaceId, ...(await directory.workspaceIds(message.platform, message.dmWorkspaceIds))]
        : [workspaceId];
    const agents = candidates(await directory.agentsOf(reach));
    const joinedAgentIds = message.isDirect
      ? []
      : (await directory.channelAgentIds(message.platform, message.channelId)).filter((id) =>
          agents.some((a) => a.id === id),
        );
    const addressing = resolveAddressing(message, bot.userId, agents);
    if (!isHeard(message.isDirect, joinedAgentIds.length, addressing)) return { status: 'ignored' };

    const isBot = message.author.isBot || Boolean(message.author.isWebhook);
    // A channel message that speaks to us gets its reply in a thread on itself (Slack), and that
    // thread is its conversation from the start: follow-ups there see the question and the answer,
    // and both deliveries of one mention (app_mention + message) land on the same unique key.
    const threadRoot =
      addressing.botMentioned || addressing.addressedAgentIds.length > 0
        ? replyThreadRoot(message)
        : undefined;
    const [authorId, conversation] = await Promise.all([
      directory.userId({
        platform: message.platform,
        externalId: message.author.id,
        displayName: message.author.displayName,
        isBot,
      }),
      directory.conversation(
        {
          platform: message.platform,
          workspaceId,
          channelId: message.channelId,
          threadId: message.threadId ?? threadRoot,
        },
        threadRoot ? 'thread' : conversationKind(message),
      ),
    ]);
    const chosen = await dmChoice(message, workspaceId, conversation);
    const routed = route({
      isDirect: message.isDirect,
      author: message.author,
      bot,
      addressing,
      agents,
      joinedAgentIds,
      activeAgentId: chosen,
      recentTurns: isBot ? [...(await turnsBefore(conversation.id)), { isBot: true }] : [],
      maxAgentHops: settings.maxAgentHops,
    });

    const replying = routed.kind === 'reply' ? routed.agent : undefined;
    const target = replyTargetOf(message, conversation);
    const receivedAt = Date.now();
    const stored = await deps.commit.submit({
      record: {
        conversationId: conversation.id,
        authorId,
        content: message.text,
        attachments: encodeAttachments(message.attachments),
        platformMessageId: message.platformMessageId,
        platformEventId: message.platformEventId,
        sentAt: message.sentAt,
        pendingAgentId: replying?.id,
      },
      job: replying && { conversationId: conversation.id, agentId: replying.id, receivedAt, target },
    });
    if (!stored.stored) return { status: 'duplicate' };

    const messageId = stored.id;
    bus.emit('message.created', {
      platform: message.platform,
      conversationId: conversation.id,
      messageId,
      workspaceId,
      authorId,
      isBot: message.author.isBot,
      sentAt: message.sentAt,
      storedAt: stored.createdAt,
    });
    const ref = { platform: message.platform, conversationId: conversation.id, messageId };
    bus.emit('reply.decided', {
      ...ref,
      reply: routed.kind === 'reply',
      reason: routed.kind === 'notice' || routed.kind === 'paused' ? noticeReason(routed) : routed.reason,
      ...(replying && { agentId: replying.id }),
    });
    effects.notify(message, routed, conversation.id, messageId);
    if (!replying) return outcomeOf(routed, messageId, message.isDirect);

    effects.startTyping(message.platform, conversation.id, replying.id, typingTarget(message, replying));
    const debounced = noteScheduled(conversation.id, replying.id);
    const jobId = replyJobId(conversation.id, replying.id, messageId);
    if (debounced) bus.emit('message.debounced', { ...ref, jobId, agentId: replying.id });
    return { status: 'scheduled', messageId, agentId: replying.id, jobId, debounced };
  }

  /** A DM thread shares the DM's chosen agent. */
  async function dmChoice(
    message: InboundMessage,
    workspaceId: string,
    conversation: ConversationRecord,
  ): Promise<string | null> {
    if (!message.isDirect) return null;
    if (!message.threadId) return conversation.activeAgentId;
    const root = await directory.conversation(
      { platform: message.platform, workspaceId, channelId: message.channelId },
      'dm',
    );
    return root.activeAgentId;
  }

  /**
   * An agent's delivered reply may address another agent (`Nova, what do you think?`). Its
   * platform echo is ignored, so it is judged here, on the same route as any bot message.
   */
  async function handleAgentReply(reply: DeliveredReply): Promise<InboundOutcome> {
    const ref = {
      platform: reply.target.platform,
      conversationId: reply.conversationId,
      messageId: reply.id,
    };
    const notAddressed = (): InboundOutcome => {
      bus.emit('reply.decided', { ...ref, reply: false, reason: 'not_addressed' });
      return { status: 'stored', messageId: reply.id, reason: 'not_addressed' };
    };
    if (!mayAddressByName(reply.content)) return notAddressed();
    const author = await directory.agent(reply.agentId);
    if (!author) return notAddressed();
    const agents = candidates(await directory.agentsOf([author.workspaceId]));
    // An agent speaks through the bot, so its reply reads as if the bot were mentioned.
    const addressing = resolveAddressing(
      { text: reply.content, isDirect: reply.target.isDirect, mentionedUserIds: [SELF] },
      SELF,
      agents,
    );
    if (!addressing.addressedAgentIds.some((id) => id !== reply.agentId)) return notAddressed();
    const routed = route({
      isDirect: reply.target.isDirect,
      author: { id: `agent:${reply.agentId}`, isBot: true, agentId: reply.agentId },
      bot: { userId: '' },
      addressing,
      agents,
      joinedAgentIds: [],
      activeAgentId: null,
      recentTurns: await turnsBefore(reply.conversationId),
      maxAgentHops: settings.maxAgentHops,
      addressedOnly: true,
    });
    if (routed.kind !== 'reply') {
      const reason = routed.kind === 'none' ? routed.reason : 'not_addressed';
      bus.emit('reply.decided', { ...ref, reply: false, reason });
      return { status: 'stored', messageId: reply.id, reason };
    }
    const next = routed.agent.id;
    bus.emit('reply.decided', { ...ref, reply: true, reason: routed.reason, agentId: next });
    if (!(await store.markPending(reply.id, next))) return { status: 'duplicate' };
    const target: ReplyTarget = { ...reply.target, replyToPlatformMessageId: reply.platformMessageId };
    await deps.schedule([
      {
        data: {
          conversationId: reply.conversationId,
          agentId: next,
          messageId: reply.id,
          receivedAt: Date.now(),
          target,
        },
      },
    ]);
    effects.startTyping(target.platform, reply.conversationId, next, {
      channelId: target.channelId,
      ...(target.threadId && { threadId: target.threadId }),
      isDirect: target.isDirect,
      workspaceId: target.workspaceExternalId,
      triggerPlatformMessageId: reply.platformMessageId,
      ...(routed.agent.loading && { loadingMessages: routed.agent.loading }),
    });
    noteScheduled(reply.conversationId, next);
    return {
      status: 'scheduled',
      messageId: reply.id,
      agentId: next,
      jobId: replyJobId(reply.conversationId, next, reply.id),
      debounced: false,
    };
  }

  return {
    handleInbound,
    handleAgentReply,
    handleChange: (change: MessageChange) => applyMessageChange(store, change),
    /** Resolves once the notices started so far are out (shutdown, tests). */
    settled: () => effects.settled(),
  };
}

export type Orchestrator = ReturnType<typeof createOrchestrator>;

function replyTargetOf(message: InboundMessage, conversation: ConversationRecord): ReplyTarget {
  return {
    platform: message.platform,
    channelId: message.channelId,
    ...(conversation.threadId && { threadId: conversation.threadId }),
    isDirect: message.isDirect,
    workspaceExternalId: message.workspaceId,
    replyToPlatformMessageId: message.platformMessageId,
    authorExternalId: message.author.id,
  };
}

function noticeReason(routed: Extract<Route, { kind: 'notice' | 'paused' }>): string {
  return routed.kind === 'paused' ? 'paused' : routed.reason;
}

function outcomeOf(routed: Route, messageId: number, isDirect: boolean): InboundOutcome {
  switch (routed.kind) {
    case 'paused':
      return { status: 'notice', messageId, notice: 'paused' };
    case 'notice':
      return { status: 'notice', messageId, notice: routed.reason };
    case 'none':
      return { status: 'stored', messageId, reason: routed.reason };
    case 'reply':
      return { status: 'stored', messageId, reason: isDirect ? 'direct_message' : routed.reason };
  }
}
