/**
 * What a route makes happen besides the store: the typing signal, and the short notices the
 * service posts itself (help, hints, the paused notice). None of it holds up an acknowledgement.
 */
import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import type { InboundMessage, Platform, PlatformAdapter, TypingTarget } from '../core/types.ts';
import { replyDebounceKey } from '../jobs/ids.ts';
import type { Logger } from '../logger.ts';
import type { Db } from '../store/database.ts';
import { claimPausedNotice, pausedNoticeState } from '../store/paused-notices.ts';
import type { AgentCandidate } from './decisions/agent-candidate.ts';
import { NoticeThrottle } from './decisions/notice-throttle.ts';
import { pausedNoticeText, shouldSendPausedNotice } from './decisions/paused-notice.ts';
import { replyThread } from './inbound-mapping.ts';
import {
  chooseAgentHelp,
  NO_AGENT_IN_CHANNEL_HELP,
  NO_AGENTS_HELP,
  NO_AGENTS_IN_SHARED_SERVERS_HELP,
} from './notices.ts';
import type { Route } from './route.ts';
import type { TypingManager } from './typing.ts';

export interface EffectsDeps {
  db: Db;
  typing: TypingManager;
  adapters: Partial<Record<Platform, PlatformAdapter>>;
  bus: EventBus<AgentBridgeEvents>;
  logger: Logger;
  /** At most one notice per channel (or DM) per minute (decisions/notice-throttle.ts). */
  noticeThrottle?: NoticeThrottle;
  now?: () => number;
}

export function createEffects(deps: EffectsDeps) {
  const { logger } = deps;
  const inFlight = new Set<Promise<void>>();
  const throttle = deps.noticeThrottle ?? new NoticeThrottle();
  const now = deps.now ?? Date.now;

  /** Shows "working" for the reply of `agentId` in the conversation; never waited for. */
  function startTyping(platform: Platform, conversationId: string, agentId: string, target: TypingTarget) {
    const adapter = deps.adapters[platform];
    if (adapter) void deps.typing.start(replyDebounceKey(conversationId, agentId), adapter, target);
  }

  /** Posted as the service itself, never waited for by an acknowledgement. */
  async function postNotice(message: InboundMessage, text: string, idempotencyKey: string) {
    const adapter = deps.adapters[message.platform];
    if (!adapter) return;
    const thread = replyThread(message);
    try {
      await adapter.deliver({
        conversationId: '',
        channelId: message.channelId,
        ...(thread && { threadId: thread }),
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

  async function pausedNotice(message: InboundMessage, conversationId: string, agent: AgentCandidate) {
    const state = await pausedNoticeState(deps.db, agent.id, conversationId);
    if (!shouldSendPausedNotice(state)) return;
    if (!(await claimPausedNotice(deps.db, agent.id, conversationId, state))) return;
    await postNotice(
      message,
      pausedNoticeText(agent.name),
      `paused-${agent.id}-${message.platformMessageId}`,
    );
  }

  /** The notice a route asks for, if any. */
  function notify(message: InboundMessage, route: Route, conversationId: string, messageId: number): void {
    const run = (work: Promise<void>) => {
      const tracked = work
        .catch((error: unknown) => logger.warn({ err: error }, 'notice failed'))
        .finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    };
    if (route.kind !== 'paused' && route.kind !== 'notice') return;
    // Keyed by channel, not thread: each Slack channel mention opens its own thread conversation.
    const channelKey = `${message.platform}:${message.workspaceId}:${message.channelId}`;
    if (!throttle.allow(channelKey, now())) {
      logger.debug(
        { conversationId, route: route.kind },
        'notice not posted: one went to this conversation recently',
      );
      return;
    }
    if (route.kind === 'paused') {
      run(pausedNotice(message, conversationId, route.agent));
      return;
    }
    const text =
      route.reason === 'help'
        ? chooseAgentHelp(route.agents)
        : route.reason === 'no_agent_in_channel'
          ? NO_AGENT_IN_CHANNEL_HELP
          : message.dmWorkspaceIds
            ? NO_AGENTS_IN_SHARED_SERVERS_HELP
            : NO_AGENTS_HELP;
    const key = route.reason === 'no_agent_in_channel' ? `hint-${messageId}` : `help-${messageId}`;
    run(postNotice(message, text, key));
  }

  /** Resolves once every notice started so far has been posted or has failed. */
  async function settled(): Promise<void> {
    while (inFlight.size > 0) await Promise.all(inFlight);
  }

  return { startTyping, notify, settled };
}

export type Effects = ReturnType<typeof createEffects>;
