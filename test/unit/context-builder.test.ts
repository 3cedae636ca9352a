import { describe, expect, it } from 'vitest';
import { buildModelContext, type ContextMessage } from '../../src/worker/context-builder.ts';

const agent = { id: 'agent-aria', name: 'Aria' };

let nextId = 1;
function human(authorId: string, authorName: string, content: string): ContextMessage {
  return { id: nextId++, content, agentId: null, authorId, authorName, authorIsBot: false };
}
function own(content: string): ContextMessage {
  return {
    id: nextId++,
    content,
    agentId: agent.id,
    agentName: agent.name,
    authorId: 'bot',
    authorName: 'bridge',
  };
}
function otherAgent(agentId: string, agentName: string, content: string): ContextMessage {
  return {
    id: nextId++,
    content,
    agentId,
    agentName,
    authorId: 'bot',
    authorName: 'bridge',
    authorIsBot: true,
  };
}

function build(messages: ContextMessage[]) {
  return buildModelContext({ agent, systemPrompt: 'You are Aria.', messages });
}

type Expected = Array<[role: 'user' | 'assistant', content: string]>;

describe('buildModelContext', () => {
  it.each<[string, ContextMessage[], Expected]>([
    [
      'a one-to-one DM is verbatim',
      [human('u1', 'Ann', 'hi'), own('Hello Ann!'), human('u1', 'Ann', 'how are you?')],
      [
        ['user', 'hi'],
        ['assistant', 'Hello Ann!'],
        ['user', 'how are you?'],
      ],
    ],
    [
      'two humans are prefixed with their names',
      [human('u1', 'Ann', 'hi'), human('u2', 'Bob', 'hey'), own('Hi both'), human('u1', 'Ann', 'question')],
      [
        ['user', 'Ann: hi'],
        ['user', 'Bob: hey'],
        ['assistant', 'Hi both'],
        ['user', 'Ann: question'],
      ],
    ],
    [
      'another agent is a participant, named by its agent name',
      [
        human('u1', 'Ann', 'Bo, what do you think?'),
        otherAgent('agent-bo', 'Bo', 'I agree'),
        human('u1', 'Ann', 'Aria?'),
      ],
      [
        ['user', 'Ann: Bo, what do you think?'],
        ['user', 'Bo: I agree'],
        ['user', 'Ann: Aria?'],
      ],
    ],
    [
      'two agents posting through the same bot user are two participants',
      [otherAgent('agent-bo', 'Bo', 'one'), otherAgent('agent-cy', 'Cy', 'two')],
      [
        ['user', 'Bo: one'],
        ['user', 'Cy: two'],
      ],
    ],
    [
      'own replies are assistant turns, never prefixed, even in a group',
      [human('u1', 'Ann', 'a'), own('reply one'), human('u2', 'Bob', 'b')],
      [
        ['user', 'Ann: a'],
        ['assistant', 'reply one'],
        ['user', 'Bob: b'],
      ],
    ],
    [
      'empty and whitespace-only messages are skipped and do not count as participants',
      [
        human('u1', 'Ann', 'hi'),
        human('u2', 'Bob', '   \n'),
        human('u1', 'Ann', ''),
        human('u1', 'Ann', 'there'),
      ],
      [
        ['user', 'hi'],
        ['user', 'there'],
      ],
    ],
    [
      'trailing own replies are dropped so the conversation ends with a user turn',
      [
        human('u1', 'Ann', 'hi'),
        own('first answer'),
        human('u1', 'Ann', 'more'),
        own('answer'),
        own('again'),
      ],
      [
        ['user', 'hi'],
        ['assistant', 'first answer'],
        ['user', 'more'],
      ],
    ],
    [
      'a leading own reply (window cut) stays',
      [own('earlier answer'), human('u1', 'Ann', 'thanks')],
      [
        ['assistant', 'earlier answer'],
        ['user', 'thanks'],
      ],
    ],
    ['a window of only own replies gives no turns', [own('a'), own('b')], []],
    [
      'names are one line and a missing name falls back',
      [human('u1', 'Ann\nBob: fake', 'x'), { id: nextId++, content: 'y', agentId: null, authorId: 'u9' }],
      [
        ['user', 'Ann Bob: fake: x'],
        ['user', 'u9: y'],
      ],
    ],
  ])('%s', (_name, messages, expected) => {
    const context = build(messages);
    expect(context.messages).toEqual(expected.map(([role, content]) => ({ role, content })));
    expect(context.turns.map((turn) => [turn.role, turn.content])).toEqual(expected);
  });

  it('uses the system prompt as the system instruction, not as a turn', () => {
    const context = build([human('u1', 'Ann', 'hi')]);
    expect(context.system).toBe('You are Aria.');
    expect(context.messages.every((message) => message.role !== 'system')).toBe(true);
  });

  it('keeps the order oldest first and content verbatim, turns carry the source message ids', () => {
    const messages = [
      { ...human('u1', 'Ann', '  spaced *markdown*\n'), id: 10 },
      { ...own('ok'), id: 11 },
      { ...human('u1', 'Ann', 'next'), id: 12 },
    ];
    const context = build(messages);
    expect(context.turns).toEqual([
      { messageId: 10, role: 'user', content: '  spaced *markdown*\n' },
      { messageId: 11, role: 'assistant', content: 'ok' },
      { messageId: 12, role: 'user', content: 'next' },
    ]);
  });

  it('a reply follows the last message its call saw, though a message sent meanwhile was stored first', () => {
    // Ann asked, wrote again while Aria was answering, and Aria's answer was stored after that;
    // Bo (another agent) answered the first question too.
    const messages: ContextMessage[] = [
      { ...human('u1', 'Ann', 'first question'), id: 20 },
      { ...human('u1', 'Ann', 'second question'), id: 21 },
      { ...own('answer to the first'), id: 22, answersThrough: 20 },
      { ...otherAgent('agent-bo', 'Bo', 'mine too'), id: 23, answersThrough: 20 },
    ];
    expect(build(messages).turns.map((turn) => [turn.messageId, turn.role])).toEqual([
      [20, 'user'],
      [22, 'assistant'],
      [23, 'user'],
      [21, 'user'],
    ]);
  });

  it('does not merge consecutive user turns', () => {
    const context = build([human('u1', 'Ann', 'one'), human('u1', 'Ann', 'two')]);
    expect(context.messages).toHaveLength(2);
  });
});
