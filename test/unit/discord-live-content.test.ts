/**
 * What a streamed Discord message shows mid-stream (liveContent, pure): the text so far as its
 * route posts it, open Markdown closed, cut to what fits one message with a fence cut there closed.
 */
import { describe, expect, it } from 'vitest';
import { liveContent } from '../../src/adapters/discord/live.ts';
import type { LiveTarget } from '../../src/core/live-reply.ts';

const target: LiveTarget = {
  platform: 'discord',
  channelId: '200',
  isDirect: false,
  workspaceExternalId: '100',
  agent: { id: 'a1', name: 'Nova', avatarUrl: null },
  replyToMessageId: '300',
};
const fences = (text: string) => text.match(/```/g)?.length ?? 0;

describe('liveContent', () => {
  it.each([
    [
      'webhook, with the link to the message answered',
      'webhook',
      target,
      'Hello there',
      '↪ https://discord.com/channels/100/200/300\nHello there',
    ],
    [
      'webhook in a thread links into the thread',
      'webhook',
      { ...target, threadId: '250' },
      'Hi',
      '↪ https://discord.com/channels/100/250/300\nHi',
    ],
    ['webhook without a message answered', 'webhook', { ...target, replyToMessageId: undefined }, 'Hi', 'Hi'],
    ['bot, with the agent name in bold', 'bot', target, 'Hi', '**Nova:** Hi'],
    ['an open fence is closed', 'bot', target, '```ts\nconst a = 1;', '**Nova:**\n```ts\nconst a = 1;\n```'],
    ['open emphasis is closed', 'bot', target, 'a **bold', '**Nova:** a **bold**'],
    ['@everyone cannot ping', 'bot', target, 'hey @everyone', '**Nova:** hey @\u200beveryone'],
  ] as const)('%s', (_, route, at, text, shown) => {
    expect(liveContent(route, at as LiveTarget, text)).toBe(shown);
  });

  it('a long text shows only what fits the first message, its fence closed', () => {
    const code = Array.from({ length: 200 }, (_, i) => `line ${i} of the code`).join('\n');
    for (const route of ['webhook', 'bot'] as const) {
      const shown = liveContent(route, target, `Code:\n\`\`\`ts\n${code}`);
      expect(shown.length).toBeLessThanOrEqual(2000);
      expect(fences(shown) % 2).toBe(0);
      expect(shown.endsWith('\n```')).toBe(true);
    }
  });
});
