import { describe, expect, it } from 'vitest';
import type { InboundAuthor } from '../../../src/core/types.ts';
import { resolveAddressing } from '../../../src/orchestrator/decisions/addressing.ts';
import type { TurnAuthorship } from '../../../src/orchestrator/decisions/loop-guard.ts';
import {
  decideReply,
  type ReplyDecision,
  type ReplyDecisionInput,
} from '../../../src/orchestrator/decisions/reply-decision.ts';

const BOT = { userId: 'UBOT', botId: 'BBOT' };
const MAX_HOPS = 3;

const human: ReplyDecisionInput['author'] = { id: 'UHUMAN', isBot: false };
const otherApp: ReplyDecisionInput['author'] = { id: 'UOTHERAPP', isBot: true, botId: 'BOTHER' };
const webhook: ReplyDecisionInput['author'] = { id: 'W1', isBot: false, isWebhook: true };
const aria: ReplyDecisionInput['author'] = { id: 'UBOT', isBot: true, botId: 'BBOT', agentId: 'aria' };
const ourBotUnmapped: ReplyDecisionInput['author'] = { id: 'UBOT', isBot: true, botId: 'BBOT' };
const ourBotIdOnly: ReplyDecisionInput['author'] = { id: 'USOMEONE', isBot: true, botId: 'BBOT' };
const slackbot: ReplyDecisionInput['author'] = { id: 'USLACKBOT', isBot: false, isSystem: true };

const afterHuman = (agentTurns: number): TurnAuthorship[] => [
  { isBot: false },
  ...Array.from({ length: agentTurns }, (_, i) => ({ isBot: true, agentId: i % 2 === 0 ? 'aria' : 'max' })),
];

function input(overrides: Partial<ReplyDecisionInput>): ReplyDecisionInput {
  return {
    isDirect: false,
    author: human,
    bot: BOT,
    addressing: { addressedAgentIds: [], botMentioned: false },
    joinedAgentCount: 1,
    recentTurns: [{ isBot: false }],
    maxAgentHops: MAX_HOPS,
    ...overrides,
  };
}

const none = { addressedAgentIds: [], botMentioned: false };
const botOnly = { addressedAgentIds: [], botMentioned: true };
const toMax = { addressedAgentIds: ['max'], botMentioned: true };
const toAria = { addressedAgentIds: ['aria'], botMentioned: true };

describe('decideReply', () => {
  it.each<[string, Partial<ReplyDecisionInput>, ReplyDecision]>([
    [
      'human DM, nothing addressed',
      { isDirect: true, addressing: none },
      { reply: true, reason: 'direct_message' },
    ],
    ['human addresses an agent in a channel', { addressing: toMax }, { reply: true, reason: 'addressed' }],
    [
      'human mentions only the bot, one agent joined',
      { addressing: botOnly },
      { reply: true, reason: 'bot_mentioned' },
    ],
    [
      'human mentions only the bot, several joined',
      { addressing: botOnly, joinedAgentCount: 3 },
      { reply: true, reason: 'bot_mentioned' },
    ],
    [
      'human mentions the bot, no agent joined',
      { addressing: botOnly, joinedAgentCount: 0 },
      { reply: false, reason: 'no_agent_in_channel' },
    ],
    ['human channel chatter', { addressing: none }, { reply: false, reason: 'not_addressed' }],
    [
      'our agent’s own post, no address',
      { author: aria, addressing: none, recentTurns: afterHuman(1) },
      { reply: false, reason: 'own_message' },
    ],
    [
      'our agent’s post addressing itself',
      { author: aria, addressing: toAria, recentTurns: afterHuman(1) },
      { reply: false, reason: 'own_message' },
    ],
    [
      'our bot user (agent unknown) mentioning only the bot',
      { author: ourBotUnmapped, addressing: botOnly, recentTurns: afterHuman(1) },
      { reply: false, reason: 'own_message' },
    ],
    [
      'our bot id under another user id',
      { author: ourBotIdOnly, addressing: none, recentTurns: afterHuman(1) },
      { reply: false, reason: 'own_message' },
    ],
    [
      'our own post in a DM',
      { isDirect: true, author: aria, addressing: none, recentTurns: afterHuman(1) },
      { reply: false, reason: 'own_message' },
    ],
    [
      'Slackbot in a DM',
      { isDirect: true, author: slackbot, addressing: none, recentTurns: afterHuman(0) },
      { reply: false, reason: 'system_message' },
    ],
    [
      'Slackbot naming an agent in a channel',
      { author: slackbot, addressing: toMax, recentTurns: afterHuman(0) },
      { reply: false, reason: 'system_message' },
    ],
    [
      'another app’s bot, no address',
      { author: otherApp, addressing: none, recentTurns: afterHuman(1) },
      { reply: false, reason: 'bot_not_addressing' },
    ],
    [
      'another app’s bot mentioning only the bot',
      { author: otherApp, addressing: botOnly, recentTurns: afterHuman(1) },
      { reply: false, reason: 'bot_not_addressing' },
    ],
    [
      'a webhook, no address',
      { author: webhook, addressing: none, recentTurns: afterHuman(1) },
      { reply: false, reason: 'bot_not_addressing' },
    ],
    [
      'another app’s bot addressing an agent within the hop limit',
      { author: otherApp, addressing: toMax, recentTurns: afterHuman(1) },
      { reply: true, reason: 'addressed_by_bot' },
    ],
    [
      'our agent addressing a different agent within the limit',
      { author: aria, addressing: toMax, recentTurns: afterHuman(2) },
      { reply: true, reason: 'addressed_by_bot' },
    ],
    [
      'our agent addressing a different agent at the limit',
      { author: aria, addressing: toMax, recentTurns: afterHuman(3) },
      { reply: false, reason: 'loop_limit', chainLength: 3 },
    ],
    [
      'a bot addressing an agent in a DM past the limit',
      { isDirect: true, author: otherApp, addressing: toMax, recentTurns: afterHuman(5) },
      { reply: false, reason: 'loop_limit', chainLength: 5 },
    ],
  ])('%s', (_name, overrides, expected) => {
    expect(decideReply(input(overrides))).toEqual(expected);
  });

  it('two agents addressing each other stop after MAX_AGENT_HOPS agent turns', () => {
    const agents = [
      { id: 'aria', name: 'Aria' },
      { id: 'max', name: 'Max' },
    ];
    const history: TurnAuthorship[] = [];
    const decisions: ReplyDecision[] = [];
    // A human starts, then each reply addresses the other agent (as the orchestrator would see it).
    let next: { author: InboundAuthor; text: string } = {
      author: { id: 'UHUMAN', displayName: 'Dana', isBot: false },
      text: '<@UBOT> Aria ask Max about dinner',
    };
    for (let turn = 0; turn < 6; turn++) {
      history.push({ isBot: next.author.isBot, agentId: next.author.agentId });
      const addressing = resolveAddressing(
        { text: next.text, isDirect: false, mentionedUserIds: [BOT.userId] },
        BOT.userId,
        agents,
      );
      const decision = decideReply(input({ author: next.author, addressing, recentTurns: history }));
      decisions.push(decision);
      if (!decision.reply) break;
      const responder = addressing.addressedAgentIds.find((id) => id !== next.author.agentId) ?? '';
      const other = responder === 'aria' ? 'Max' : 'Aria';
      next = {
        author: { id: BOT.userId, displayName: responder, isBot: true, botId: BOT.botId, agentId: responder },
        text: `<@UBOT> ${other}, what do you think?`,
      };
    }
    expect(decisions.map((d) => d.reason)).toEqual([
      'addressed',
      'addressed_by_bot',
      'addressed_by_bot',
      'loop_limit',
    ]);
    expect(history.filter((t) => t.agentId).length).toBe(MAX_HOPS);
  });

  it('a human message resets the chain', () => {
    const turns: TurnAuthorship[] = [...afterHuman(5), { isBot: false }, { isBot: true, agentId: 'aria' }];
    expect(decideReply(input({ author: aria, addressing: toMax, recentTurns: turns }))).toEqual({
      reply: true,
      reason: 'addressed_by_bot',
    });
  });
});
