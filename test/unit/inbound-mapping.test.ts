import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/core/types.ts';
import { conversationKind, isOwnPost, replyThread } from '../../src/orchestrator/inbound-mapping.ts';

const base: InboundMessage = {
  platform: 'slack',
  workspaceId: 'T1',
  channelId: 'C1',
  isDirect: false,
  author: { id: 'U1', displayName: 'Ana', isBot: false },
  text: 'hi',
  mentionedUserIds: [],
  platformMessageId: '1700.0001',
  sentAt: new Date(0),
};
const bot = { userId: 'UBOT', botId: 'BBOT' };

describe('inbound mapping', () => {
  it.each([
    ['a person', {}, false],
    ['our bot user', { author: { id: 'UBOT', displayName: 'bot', isBot: true } }, true],
    [
      'our bot id (another bot user of our app)',
      { author: { id: 'UX', displayName: 'x', isBot: true, botId: 'BBOT' } },
      true,
    ],
    [
      'an agent of ours (webhook post)',
      { author: { id: 'W1', displayName: 'Aria', isBot: true, agentId: 'a1' } },
      true,
    ],
    ['another app', { author: { id: 'UO', displayName: 'CI', isBot: true, botId: 'BOTHER' } }, false],
  ])('isOwnPost: %s → %s', (_name, change, own) => {
    expect(isOwnPost({ ...base, ...change } as InboundMessage, bot)).toBe(own);
  });

  it.each([
    [
      "slack channel top level: the thread the adapter names (the message's own)",
      { platform: 'slack', isDirect: false, replyThreadId: '1700.0001' },
      '1700.0001',
    ],
    [
      'slack thread: that thread',
      { platform: 'slack', isDirect: false, threadId: '1699.9', replyThreadId: '1699.9' },
      '1699.9',
    ],
    ['slack DM top level: no thread', { platform: 'slack', isDirect: true }, undefined],
    ['slack DM thread: that thread', { platform: 'slack', isDirect: true, threadId: '1699.9' }, '1699.9'],
    ['discord channel: native reply, no thread', { platform: 'discord', isDirect: false }, undefined],
    ['discord thread: that thread', { platform: 'discord', isDirect: false, threadId: 'T9' }, 'T9'],
  ] as const)('replyThread: %s', (_name, change, thread) => {
    expect(replyThread({ ...base, ...change })).toBe(thread);
  });

  it.each([
    [{ isDirect: true }, 'dm'],
    [{ isDirect: true, threadId: '1' }, 'dm'],
    [{ isDirect: false }, 'channel'],
    [{ isDirect: false, threadId: '1' }, 'thread'],
  ] as const)('conversationKind %o → %s', (change, kind) => {
    expect(conversationKind(change)).toBe(kind);
  });
});
