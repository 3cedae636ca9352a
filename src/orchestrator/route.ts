/**
 * The one decision path, for a platform message and for an agent's delivered reply alike: should
 * anyone answer, and who? Pure: the caller gathers the facts (agents, channel members, the DM's
 * chosen agent, recent turns for bots) and carries out the route.
 */
import type { InboundAuthor } from '../core/types.ts';
import type { Addressing } from './decisions/addressing.ts';
import type { AgentCandidate } from './decisions/agent-candidate.ts';
import { selectAgent } from './decisions/agent-selection.ts';
import type { TurnAuthorship } from './decisions/loop-guard.ts';
import { decideReply, type NoReplyReason, type ReplyReason } from './decisions/reply-decision.ts';

export interface RouteInput {
  isDirect: boolean;
  author: Pick<InboundAuthor, 'id' | 'isBot' | 'isWebhook' | 'agentId' | 'botId' | 'isSystem'>;
  bot: { userId: string; botId?: string | undefined };
  addressing: Addressing;
  /** Every agent that may be addressed here, paused ones included. */
  agents: readonly AgentCandidate[];
  /** Agents that joined the channel (none for DMs). */
  joinedAgentIds: readonly string[];
  /** The DM's agent chosen with `/agent use`. */
  activeAgentId: string | null;
  /** Oldest → newest, ending with this message; read only for bots (the loop guard). */
  recentTurns: readonly TurnAuthorship[];
  maxAgentHops: number;
  /** An agent's reply read as a message: only an explicit address makes another agent answer. */
  addressedOnly?: boolean;
}

export type Route =
  | { kind: 'reply'; reason: ReplyReason; agent: AgentCandidate }
  /** The chosen agent is paused: the caller posts the paused notice, once. */
  | { kind: 'paused'; agent: AgentCandidate }
  /** Nobody answers, but the author should be told how to get an answer. */
  | { kind: 'notice'; reason: 'help' | 'no_agents' | 'no_agent_in_channel'; agents: AgentCandidate[] }
  | { kind: 'none'; reason: NoReplyReason | 'no_agents' | 'all_paused' | 'paused' };

/** A channel message is ours to store only when an agent there hears it or it speaks to us. */
export function isHeard(isDirect: boolean, joinedAgentCount: number, addressing: Addressing): boolean {
  return (
    isDirect || joinedAgentCount > 0 || addressing.botMentioned || addressing.addressedAgentIds.length > 0
  );
}

export function route(input: RouteInput): Route {
  const decision = decideReply({
    isDirect: input.isDirect,
    author: input.author,
    bot: input.bot.botId
      ? { userId: input.bot.userId, botId: input.bot.botId }
      : { userId: input.bot.userId },
    addressing: input.addressing,
    joinedAgentCount: input.joinedAgentIds.length,
    recentTurns: input.recentTurns,
    maxAgentHops: input.maxAgentHops,
  });
  if (!decision.reply) {
    return decision.reason === 'no_agent_in_channel'
      ? { kind: 'notice', reason: 'no_agent_in_channel', agents: [] }
      : { kind: 'none', reason: decision.reason };
  }
  const selection = selectAgent({
    agents: input.agents,
    addressedAgentIds: input.addressing.addressedAgentIds,
    ...(input.author.agentId && { authorAgentId: input.author.agentId }),
    conversation: input.isDirect
      ? { isDirect: true, activeAgentId: input.activeAgentId }
      : { isDirect: false, joinedAgentIds: input.joinedAgentIds },
    text: input.addressing.strippedText,
  });
  if (input.addressedOnly && (selection.kind !== 'agent' || selection.via !== 'addressed')) {
    return { kind: 'none', reason: selection.kind === 'paused' ? 'paused' : 'not_addressed' };
  }
  switch (selection.kind) {
    case 'agent':
      return { kind: 'reply', reason: decision.reason, agent: selection.agent };
    case 'paused':
      return { kind: 'paused', agent: selection.agent };
    case 'help':
      return { kind: 'notice', reason: 'help', agents: selection.agents };
    case 'none':
      return input.isDirect && selection.reason === 'no_agents'
        ? { kind: 'notice', reason: 'no_agents', agents: [] }
        : { kind: 'none', reason: selection.reason };
  }
}
