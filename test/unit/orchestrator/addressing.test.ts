import fc from 'fast-check';
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
  { id: 'max', name: 'Max' },
  { id: 'zoe', name: 'Zoë' },
  { id: 'ann', name: 'Ann' },
  { id: 'annlee', name: 'Ann Lee' },
];

function message(text: string, overrides: Partial<AddressingMessage> = {}): AddressingMessage {
  return { text, isDirect: false, mentionedUserIds: [], ...overrides };
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
      'reply to an agent’s message',
      message('thanks!', { repliedToAgentId: 'max' }),
      ['max'],
      false,
      'thanks!',
    ],
    ['reply to an unknown agent', message('thanks!', { repliedToAgentId: 'deleted' }), [], false, 'thanks!'],
    [
      'order of appearance, no duplicates',
      message('<@UBOT> Aria hi', { mentionedUserIds: [BOT], repliedToAgentId: 'aria' }),
      ['aria'],
      true,
      'hi',
    ],
    [
      'a name, then a reply to another agent',
      message('<@UBOT> Aria hi', { mentionedUserIds: [BOT], repliedToAgentId: 'max' }),
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
});

describe('mayAddressByName: never false where resolveAddressing would find an agent', () => {
  it.each([
    ['Nova, what do you think?', true],
    ['Nova: your turn', true],
    ['Zoë, hi', true],
    ['Zoe\u0308, hi (typed decomposed)', true],
    ['<@1> <@2> Nova, hi', true],
    ['<@U1|Bo Smith> Nova, hi', true],
    ['<@U1> Nova tell them', false],
    ['  Nova , spaced', false],
    ['I think Nova is right.', false],
    ['Here is the plan:\n1. ship', false],
    ['', false],
  ])('%j → %s', (text, expected) => {
    expect(mayAddressByName(text)).toBe(expected);
  });

  // What an agent's reply is judged with (orchestrator: the reply reads as if the bot were
  // mentioned, so `Name:` / `Name,` after any leading mentions addresses an agent).
  const SELF = '\u0000self';
  const nameChar = fc.constantFrom(...'aAzZéÉöß0_-ğİı'.split(''), 'e\u0301', 'Zo\u0308');
  const agentName = fc
    .array(nameChar, { minLength: 1, maxLength: 6 })
    .map((chars) => chars.join('').normalize('NFC'))
    .filter((name) => /^[\p{L}\p{N}_-]{1,32}$/u.test(name));
  const mention = fc.constantFrom('<@U1>', '<@!42>', '<@U1|Bo Smith>', '<@W9|x>', ' <@U2> ');
  const filler = fc.constantFrom('', ' ', ',', ':', ' hi', ', hi', ': do it', '?', '\n', '.');

  it('property: whenever resolveAddressing addresses an agent, mayAddressByName says it may', () => {
    fc.assert(
      fc.property(
        fc.array(agentName, { minLength: 1, maxLength: 3 }),
        fc.array(mention, { maxLength: 3 }),
        fc.nat(2),
        fc.array(filler, { maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        (names, mentions, which, tail, decompose, isDirect) => {
          const agentsHere = names.map((name, i) => ({ id: `a${i}`, name }));
          const spoken = names[which % names.length] ?? '';
          const typed = decompose ? spoken.normalize('NFD') : spoken;
          const text = `${mentions.join('')}${typed}${tail.join('')}`;
          const found = resolveAddressing(
            { text, isDirect, mentionedUserIds: [SELF] },
            SELF,
            agentsHere,
          ).addressedAgentIds;
          if (found.length > 0) expect(mayAddressByName(text)).toBe(true);
        },
      ),
      { numRuns: 3000, seed: 20261201 },
    );
  });
});
