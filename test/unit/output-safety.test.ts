/**
 * The output-safety rules as pure functions, table by table: the parts cap, the stored-text
 * cleaning, foreign mentions, masked links (Slack and Discord) and the notice throttle.
 */
import { describe, expect, it } from 'vitest';
import { revealMaskedLinks, safeText, splitMessage } from '../../src/adapters/discord/outbound.ts';
import { formatForSlack, neutralizeMrkdwn, toSafeMrkdwn } from '../../src/adapters/slack/format.ts';
import { cleanStoredText, MAX_STORED_TEXT } from '../../src/core/clean-text.ts';
import { neutralizeForeignMentions, participantsOf } from '../../src/core/mentions.ts';
import { capParts, clipForFormatting, TRUNCATED_MARKER } from '../../src/core/reply-parts.ts';
import { NoticeThrottle } from '../../src/orchestrator/decisions/notice-throttle.ts';

const WJ = '\u2060';

describe('clipForFormatting', () => {
  it.each([
    ['no cap: the whole text', 'x'.repeat(50), undefined, 50, false],
    ['within max * limit * 2: the whole text', 'x'.repeat(40), 2, 40, false],
    ['past it: cut at max * limit * 2', 'x'.repeat(41), 2, 40, true],
  ] as const)('%s', (_name, text, max, expectedLength, clipped) => {
    const result = clipForFormatting(text, max, 10);
    expect(result.text.length).toBe(expectedLength);
    expect(result.clipped).toBe(clipped);
  });

  it('never cuts a surrogate pair in two', () => {
    const text = `${'x'.repeat(39)}😀tail`;
    expect(clipForFormatting(text, 2, 10).text).toBe('x'.repeat(39));
  });

  it('a clipped text is marked even when its parts fit the cap', () => {
    expect(capParts(['short'], 5, 100, true)).toEqual([`short\n${TRUNCATED_MARKER}`]);
  });

  it('a 1 MB answer formats for Slack in a bounded time, its last post marked', () => {
    const answer = 'word '.repeat(200_000);
    const source = clipForFormatting(answer, 5, 3000);
    const parts = capParts(formatForSlack(source.text), 5, 3000, source.clipped);
    expect(parts).toHaveLength(5);
    expect(parts[4]?.endsWith(TRUNCATED_MARKER)).toBe(true);
  });
});

describe('capParts', () => {
  it.each<[string, string[], number | undefined, number, string[]]>([
    ['under the cap: unchanged', ['a', 'b'], 5, 100, ['a', 'b']],
    ['exactly the cap: unchanged, no marker', ['a', 'b'], 2, 100, ['a', 'b']],
    ['no cap given: unchanged', ['a', 'b', 'c'], undefined, 100, ['a', 'b', 'c']],
    ['over the cap: the last kept part says so', ['a', 'b', 'c'], 2, 100, ['a', `b\n${TRUNCATED_MARKER}`]],
    ['a cap of one', ['a', 'b'], 1, 100, [`a\n${TRUNCATED_MARKER}`]],
    [
      'a full last part is shortened to fit the marker',
      ['x', 'y'.repeat(30)],
      1,
      30,
      [`x\n${TRUNCATED_MARKER}`],
    ],
    [
      'a shortened part inside code is closed before the marker',
      [`\`\`\`\n${'z'.repeat(40)}\n\`\`\``, 'more'],
      1,
      30,
      [`\`\`\`\n${'z'.repeat(9)}\n\`\`\`\n${TRUNCATED_MARKER}`],
    ],
  ])('%s', (_, parts, max, limit, expected) => {
    const capped = capParts(parts, max, limit);
    expect(capped).toEqual(expected);
    for (const part of capped) expect(part.length).toBeLessThanOrEqual(Math.max(limit, 'x'.length + 13));
  });

  it('a 100 KB answer becomes MAX_REPLY_PARTS posts on either platform, each within its limit', () => {
    const answer = 'lorem ipsum dolor sit amet. '.repeat(3700);
    const slack = capParts(formatForSlack(answer), 5, 3000);
    const discord = capParts(splitMessage(answer), 5, 2000);
    for (const [parts, limit] of [
      [slack, 3000],
      [discord, 2000],
    ] as const) {
      expect(parts).toHaveLength(5);
      expect(parts.at(-1)?.endsWith(TRUNCATED_MARKER)).toBe(true);
      for (const part of parts) expect(part.length).toBeLessThanOrEqual(limit);
    }
  });
});

describe('cleanStoredText', () => {
  const long = 'a'.repeat(MAX_STORED_TEXT + 10);
  it.each<[string, string, string]>([
    ['plain text is unchanged', 'hello', 'hello'],
    ['NUL is dropped', 'a\u0000b\u0000', 'ab'],
    ['a lone high surrogate becomes U+FFFD', 'a\uD83Db', 'a\uFFFDb'],
    ['a lone low surrogate becomes U+FFFD', '\uDE00x', '\uFFFDx'],
    ['a real pair is kept', 'ok 😀', 'ok 😀'],
    ['a surrogate at the end', 'x\uD83D', 'x\uFFFD'],
  ])('%s', (_, input, expected) => {
    expect(cleanStoredText(input)).toBe(expected);
  });

  it.each<[string, string, number]>([
    ['a long text is cut with a marker, within the cap', long, MAX_STORED_TEXT],
    ['a cut never splits a pair', `${'a'.repeat(6)}${'😀'.repeat(10)}`, 20],
  ])('%s', (_, input, max) => {
    const cleaned = cleanStoredText(input, max);
    expect(cleaned.length).toBeLessThanOrEqual(max);
    expect(cleaned.endsWith('…(truncated)')).toBe(true);
    expect(cleanStoredText(cleaned, max)).toBe(cleaned);
    expect(cleaned).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/u);
  });
});

describe('foreign mentions', () => {
  const context = [
    { content: 'hi <@UBOB> can you look', authorExternalId: 'UANA' },
    { content: 'sure', authorExternalId: 'UCAROL' },
  ];
  const slackParticipants = participantsOf('slack', context);
  it.each<[string, string, string]>([
    ['the author is kept', 'thanks <@UANA>', 'thanks <@UANA>'],
    ['someone mentioned in the conversation is kept', 'ask <@UBOB>', 'ask <@UBOB>'],
    ['a stranger becomes text', 'cc <@UZED>', `cc @${WJ}UZED`],
    ['a stranger with a label shows the label', 'cc <@UZED|zed>', `cc @${WJ}zed`],
    ['a stranger workspace user (W…)', '<@W123ABC> hi', `@${WJ}W123ABC hi`],
    ['other syntax is untouched', '<#C123|general> <!here>', '<#C123|general> <!here>'],
  ])('slack: %s', (_, text, expected) => {
    expect(neutralizeForeignMentions('slack', text, slackParticipants)).toBe(expected);
  });

  const discordParticipants = participantsOf('discord', [
    { content: 'hey <@!222222222222222222>', authorExternalId: '111111111111111111' },
  ]);
  it.each<[string, string, string]>([
    ['the author is kept', '<@111111111111111111> ok', '<@111111111111111111> ok'],
    ['a nickname mention of a participant is kept', '<@!222222222222222222>', '<@!222222222222222222>'],
    ['a stranger becomes text', 'hi <@333333333333333333>', `hi @${WJ}333333333333333333`],
    ['a stranger with ! becomes text', '<@!333333333333333333>', `@${WJ}333333333333333333`],
    [
      'a role or channel is untouched',
      '<@&444444444444444444> <#555555555555555555>',
      '<@&444444444444444444> <#555555555555555555>',
    ],
  ])('discord: %s', (_, text, expected) => {
    expect(neutralizeForeignMentions('discord', text, discordParticipants)).toBe(expected);
  });

  it('the shell has no mentions to neutralize', () => {
    expect(neutralizeForeignMentions('shell', '<@UZED>', new Set())).toBe('<@UZED>');
  });
});

describe('masked links show their address', () => {
  it.each<[string, string, string]>([
    ['a Markdown link', 'see [the docs](https://evil.example/x)', 'see the docs (<https://evil.example/x>)'],
    [
      'a Markdown link labelled with its address',
      '[https://a.example](https://a.example)',
      '<https://a.example|https://a.example>',
    ],
    ['a link in code is left as code', '`[x](https://a.example)`', '`[x](https://a.example)`'],
  ])('slack: %s', (_, markdown, expected) => {
    expect(toSafeMrkdwn(markdown)).toBe(expected);
  });

  it.each<[string, string, string]>([
    [
      'a Slack masked link',
      'see <https://evil.example/x|the docs>',
      'see the docs (<https://evil.example/x>)',
    ],
    [
      'a label that is the address stays a link',
      '<https://a.example/|a.example>',
      '<https://a.example/|a.example>',
    ],
    [
      'a mailto label that is the address',
      '<mailto:a@b.example|a@b.example>',
      '<mailto:a@b.example|a@b.example>',
    ],
    ['a bare link is unchanged', '<https://a.example/b>', '<https://a.example/b>'],
  ])('slack mrkdwn: %s', (_, mrkdwn, expected) => {
    expect(neutralizeMrkdwn(mrkdwn)).toBe(expected);
  });

  it.each<[string, string, string]>([
    ['a masked link', 'see [the docs](https://evil.example/x)', 'see the docs (https://evil.example/x)'],
    ['angle brackets and a title', '[a](<https://a.example/p> "t")', 'a (https://a.example/p)'],
    [
      'parentheses in the URL',
      '[w](https://en.wikipedia.org/wiki/Foo_(bar))',
      'w (https://en.wikipedia.org/wiki/Foo_(bar))',
    ],
    ['a label that is the address', '[https://a.example](https://a.example)', 'https://a.example'],
    ['not a link (no scheme)', '[x](foo)', '[x](foo)'],
    ['inline code is kept', 'use `[x](https://a.example)`', 'use `[x](https://a.example)`'],
    ['fenced code is kept', '```\n[x](https://a.example)\n```', '```\n[x](https://a.example)\n```'],
  ])('discord: %s', (_, text, expected) => {
    expect(revealMaskedLinks(text)).toBe(expected);
  });

  it('discord: the broadcast defence still applies after links are revealed', () => {
    expect(safeText('[@everyone](https://a.example) @here')).toBe(
      '@\u200beveryone (https://a.example) @\u200bhere',
    );
  });
});

describe('NoticeThrottle', () => {
  it.each<[string, Array<[string, number]>, boolean[]]>([
    ['the first notice goes', [['c1', 0]], [true]],
    [
      'a second within the minute does not',
      [
        ['c1', 0],
        ['c1', 59_999],
      ],
      [true, false],
    ],
    [
      'after the minute one goes again',
      [
        ['c1', 0],
        ['c1', 30_000],
        ['c1', 60_000],
      ],
      [true, false, true],
    ],
    [
      'conversations are separate',
      [
        ['c1', 0],
        ['c2', 1],
      ],
      [true, true],
    ],
  ])('%s', (_, calls, expected) => {
    const throttle = new NoticeThrottle(60_000);
    expect(calls.map(([key, at]) => throttle.allow(key, at))).toEqual(expected);
  });

  it('remembers a bounded number of conversations', () => {
    const throttle = new NoticeThrottle(60_000, 3);
    for (const key of ['a', 'b', 'c', 'd']) expect(throttle.allow(key, 0)).toBe(true);
    // The map made room: still throttles what it remembers, and never grows without end.
    expect(throttle.allow('d', 1)).toBe(false);
  });
});
