import type { InboundAuthor } from '../../core/types.ts';
import type { Addressing } from './addressing.ts';
import { countAgentChain, isLoop, type TurnAuthorship } from './loop-guard.ts';

export interface ReplyDecisionInput {
  isDirect: boolean;
  author: Pick<InboundAuthor, 'id' | 'isBot' | 'isWebhook' | 'agentId' | 'botId' | 'isSystem'>;
  /** Our bot on this platform: user id and, where the platform has one, bot id (Slack `B…`). */
  bot: { userId: string; botId?: string };
  addressing: Pick<Addressing, 'addressedAgentIds' | 'botMentioned'>;
  /** How many agents (active or paused) have joined this channel; ignored for DMs. */
  joinedAgentCount: number;
  /** The conversation's recent turns, oldest → newest, ending with this message (it is stored first). */
  recentTurns: readonly TurnAuthorship[];
  maxAgentHops: number;
}

export type ReplyReason = 'direct_message' | 'addressed' | 'bot_mentioned' | 'addressed_by_bot';

export type NoReplyReason =
  /** The platform's own notice (Slackbot): never answered. */
  | 'system_message'
  /** Our own post (an agent's reply, or our bot user) that does not address another agent. */
  | 'own_message'
  /** Another bot or webhook that does not explicitly address one of our agents. */
  | 'bot_not_addressing'
  /** A bot addressed an agent, but the chain of agent turns reached MAX_AGENT_HOPS. */
  | 'loop_limit'
  /** A channel message that addresses neither an agent nor the bot. */
  | 'not_addressed'
  /** The bot was mentioned in a channel no agent has joined (the caller may hint at `/agent join`). */
  | 'no_agent_in_channel';

export type ReplyDecision =
  | { reply: true; reason: ReplyReason }
  | { reply: false; reason: Exclude<NoReplyReason, 'loop_limit'> }
  | { reply: false; reason: 'loop_limit'; chainLength: number };

/**
 * Should this message trigger a reply at all? (Which agent answers is agent-selection's question.)
 * One rule per kind of author: the platform itself (system) never; our own posts and other bots or
 * webhooks only when they explicitly address another agent, within MAX_AGENT_HOPS; people in a DM
 * always, in a channel when they address an agent or the bot.
 */
export function decideReply(input: ReplyDecisionInput): ReplyDecision {
  const { author, bot, addressing } = input;
  if (author.isSystem) return { reply: false, reason: 'system_message' };
  const isOurs =
    author.agentId !== undefined ||
    author.id === bot.userId ||
    (bot.botId !== undefined && author.botId === bot.botId);

  if (isOurs || author.isBot || author.isWebhook) {
    // Bots need an explicit address of an agent other than the author: a bare @bot is not enough.
    const addressesAnother = addressing.addressedAgentIds.some((id) => id !== author.agentId);
    if (!addressesAnother) return { reply: false, reason: isOurs ? 'own_message' : 'bot_not_addressing' };
    const chainLength = countAgentChain(input.recentTurns);
    if (isLoop(chainLength, input.maxAgentHops)) return { reply: false, reason: 'loop_limit', chainLength };
    return { reply: true, reason: 'addressed_by_bot' };
  }

  if (input.isDirect) return { reply: true, reason: 'direct_message' };
  if (addressing.addressedAgentIds.length > 0) return { reply: true, reason: 'addressed' };
  if (!addressing.botMentioned) return { reply: false, reason: 'not_addressed' };
  if (input.joinedAgentCount === 0) return { reply: false, reason: 'no_agent_in_channel' };
  return { reply: true, reason: 'bot_mentioned' };
}
