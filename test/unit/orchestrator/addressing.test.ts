import { describe, expect, it } from 'vitest';
import {
  type AddressableAgent,
  type AddressingMessage,
  mayAddressByName,
  resolveAddressing,
} from '../../../src/orchestrator/decisions/addressing.ts';

const BOT = 'UBOT';
const agents: AddressableAgent[] = [
  { id: 'aria', name: 'Aria' },
  { id: 'max', name: 'Max', botUserId: 'UMAXBOT' },
  { id: 'zoe', name: 'Zoë' },
  { id: 'ann', name: 'Ann' },
  { id: 'annlee', name: 'Ann Lee' },
];

function message(text: string, overrides: Partial<AddressingMessage> = {}): AddressingMessage {
  return { text, isDirect: false, mentionedUserIds: [], mentionedAgentNames: [], ...overrides };
}

describe('resolveAddressing', () => {
  it.each<[string, AddressingMessage, string[], boolean, string]>([
    ['Slack @bot Aria hi', message('<@UBOT> Aria hi', { mentionedUserIds: [BOT] }), ['aria'], true, 'hi'],
    [
      '@bot aria: (case and colon)',
      message('<@UBOT> aria: hi there', { mentionedUserIds: [BOT] }),
      ['aria'],
      true,
      'hi there',
    ],
    ['@bot ARIA, (comma)', message('<@UBOT> ARIA, hi', { mentionedUserIds: [BOT] }), ['aria'], true, 'hi'],
    ['@bot Aria alone', message('<@UBOT> Aria', { mentionedUserIds: [BOT] }), ['aria'], true, ''],
    ['Discord <@!id> form', message('<@!UBOT> Aria hi', { mentionedUserIds: [BOT] }), ['aria'], true, 'hi'],
    [
      'Slack <@id|label> form',
      message('<@UBOT|bridge> Aria hi', { mentionedUserIds: [BOT] }),
      ['aria'],
      true,
      'hi',
    ],
    [
      '@bot then a longer word is not the name',
      message('<@UBOT> Arianna says hi', { mentionedUserIds: [BOT] }),
      [],
      true,
      'Arianna says hi',
    ],
    [
      '@bot with a name later in the sentence',
      message('<@UBOT> ask Aria', { mentionedUserIds: [BOT] }),
      [],
      true,
      'ask Aria',
    ],
    [
      'Aria: hi with the bot mentioned later',
      message('Aria: hi <@UBOT>', { mentionedUserIds: [BOT] }),
      ['aria'],
      true,
      'hi',
    ],
    ['Aria: hi without any bot mention', message('Aria: hi'), [], false, 'Aria: hi'],
    [
      'Aria hi (no punctuation) after a late bot mention',
      message('Aria hi <@UBOT>', { mentionedUserIds: [BOT] }),
      [],
      true,
      'Aria hi',
    ],
    ['Aria, hi in a DM', message('Aria, hi', { isDirect: true }), ['aria'], false, 'hi'],
    [
      'Aria hi in a DM (no punctuation: a sentence may start with a name)',
      message('Aria hi', { isDirect: true }),
      [],
      false,
      'Aria hi',
    ],
    [
      'unicode name Zoë, lowercase',
      message('<@UBOT> zoë: bonjour', { mentionedUserIds: [BOT] }),
      ['zoe'],
      true,
      'bonjour',
    ],
    [
      'unicode name ZOË uppercase',
      message('<@UBOT> ZOË hi', { mentionedUserIds: [BOT] }),
      ['zoe'],
      true,
      'hi',
    ],
    [
      'unicode name decomposed (e + U+0308)',
      message('<@UBOT> Zoe\u0308 hi', { mentionedUserIds: [BOT] }),
      ['zoe'],
      true,
      'hi',
    ],
    [
      'longest name wins',
      message('<@UBOT> Ann Lee, hi', { mentionedUserIds: [BOT] }),
      ['annlee'],
      true,
      'hi',
    ],
    [
      'a mention of an agent’s own bot user',
      message('<@UMAXBOT> hi', { mentionedUserIds: ['UMAXBOT'] }),
      ['max'],
      false,
      'hi',
    ],
    [
      'adapter-found names',
      message('hey you two', { mentionedAgentNames: ['max', 'ARIA', 'Nobody'] }),
      ['max', 'aria'],
      false,
      'hey you two',
    ],
    [
      'reply to an agent’s message',
      message('thanks!', { repliedToAgentId: 'max' }),
      ['max'],
      false,
      'thanks!',
    ],
    ['reply to an unknown agent', message('thanks!', { repliedToAgentId: 'deleted' }), [], false, 'thanks!'],
    [
      'order of appearance, no duplicates',
      message('<@UBOT> Aria hi <@UMAXBOT>', {
        mentionedUserIds: [BOT, 'UMAXBOT'],
        mentionedAgentNames: ['Aria'],
        repliedToAgentId: 'max',
      }),
      ['aria', 'max'],
      true,
      'hi',
    ],
    [
      'bot mentioned alone',
      message('<@UBOT> what is up?', { mentionedUserIds: [BOT] }),
      [],
      true,
      'what is up?',
    ],
    ['bot mention only in the text (adapter missed it)', message('<@UBOT> Aria hi'), ['aria'], true, 'hi'],
    [
      'another user mentioned first, then the bot',
      message('<@UOTHER> <@UBOT> Aria hi', { mentionedUserIds: ['UOTHER', BOT] }),
      ['aria'],
      true,
      'hi',
    ],
    ['plain channel chatter', message('lunch at noon?'), [], false, 'lunch at noon?'],
  ])('%s', (_name, input, addressedAgentIds, botMentioned, strippedText) => {
    expect(resolveAddressing(input, BOT, agents)).toEqual({ addressedAgentIds, botMentioned, strippedText });
  });

  it('ignores an agent whose bot user is our own bot (agents posting through the shared bot)', () => {
    const shared: AddressableAgent[] = [{ id: 'aria', name: 'Aria', botUserId: BOT }];
    expect(
      resolveAddressing(message('<@UBOT> hello', { mentionedUserIds: [BOT] }), BOT, shared).addressedAgentIds,
    ).toEqual([]);
  });
});

describe('mayAddressByName: never false where resolveAddressing would find an agent', () => {
  it.each([
    ['Nova, what do you think?', true],
    ['Nova: your turn', true],
    ['Zoë, hi', true],
    ['<@U1> Nova tell them', true],
    ['  Nova , spaced', true],
    ['I think Nova is right.', false],
    ['Here is the plan:\n1. ship', false],
    ['', false],
  ])('%j → %s', (text, expected) => {
    expect(mayAddressByName(text)).toBe(expected);
  });
});
