import fc from 'fast-check';
import slackify from 'slackify-markdown';
import { describe, expect, it } from 'vitest';
import {
  formatForSlack,
  isPlainText,
  splitForSlack,
  toSafeMrkdwn,
} from '../../../src/adapters/slack/format.ts';

const WJ = '\u2060';
const ZWSP = '\u200B';
/** Anything Slack would turn into a broadcast or group ping. */
const PING = /<!(channel|here|everyone|subteam)|(^|[^\p{L}\p{N}_@])@(channel|here|everyone)\b/iu;

describe('toSafeMrkdwn', () => {
  it.each([
    ['bold and italic', '**bold** and *it*', `${ZWSP}*bold*${ZWSP} and ${ZWSP}_it_${ZWSP}`],
    // A masked link shows its real address (docs/security.md, "Output safety").
    ['a link', '[docs](https://example.com/a)', 'docs (<https://example.com/a>)'],
    ['a bare URL', '<https://example.com>', '<https://example.com|https://example.com>'],
    ['a list', '- one\n- two', '•   one\n•   two'],
    ['a heading', '# Title', '*Title*'],
    [
      'code, entity-escaped',
      '```ts\nif (a < b && c > d) {}\n```',
      '```\nif (a &lt; b &amp;&amp; c &gt; d) {}\n```',
    ],
    ['inline code', 'run `a<b>`', 'run `a&lt;b&gt;`'],
    ['text entities', 'a & b < c', 'a &amp; b &lt; c'],
    ['<!channel>', '<!channel> hi', `@${WJ}channel hi`],
    ['<!here|label>', '<!here|here> now', `@${WJ}here now`],
    ['<!everyone>', 'to <!everyone>', `to @${WJ}everyone`],
    ['a labelled user group', '<!subteam^S1|@devs> look', `@${WJ}devs look`],
    ['a bare user group', '<!subteam^S1> look', `@${WJ}group look`],
    [
      'raw broadcast words',
      'hey @here, @channel and @Everyone!',
      `hey @${WJ}here, @${WJ}channel and @${WJ}Everyone!`,
    ],
    ['a broadcast in code', '`<!channel>` and `@here`', `\`&lt;!channel&gt;\` and \`@${WJ}here\``],
    ['a user mention (kept)', '<@U123ABC> see this', '<@U123ABC> see this'],
    ['a channel link (kept)', 'in <#C123>', 'in <#C123>'],
    ['a date (kept)', '<!date^1392734382^{date}|Feb 18>', '<!date^1392734382^{date}|Feb 18>'],
    ['raw HTML', 'say <b>hi</b>', 'say &lt;b&gt;hi&lt;/b&gt;'],
    ['an address that is not a broadcast', 'mail me@here.com', 'mail <mailto:me@here.com|me@here.com>'],
  ])('%s', (_name, markdown, expected) => {
    expect(toSafeMrkdwn(markdown)).toBe(expected);
  });

  it('puts a table in a code block, aligned', () => {
    const out = toSafeMrkdwn('Scores:\n\n| name | score |\n|---|---|\n| Ana | 3 |\n| Bo & Co | 10 |');
    expect(out).toBe(
      [
        'Scores:',
        '',
        '```',
        '| name    | score |',
        '| ------- | ----- |',
        '| Ana     | 3     |',
        '| Bo &amp; Co | 10    |',
        '```',
      ].join('\n'),
    );
  });

  it.each([
    '<!channel>',
    '<!channel|channel>',
    '<!here>',
    '<!everyone>',
    '<!subteam^SAZ94GDB8>',
    '<!subteam^SAZ94GDB8|@team>',
    '@channel',
    '@here',
    '@everyone',
    '[<!channel>](https://example.com)',
    '**<!here>**',
    '> <!channel> quoted',
    '- <!everyone> listed',
    '```\n<!channel>\n```',
    '| a |\n|---|\n| <!here> |',
    '<<!channel>>',
    '<!channel',
  ])('no ping survives: %s', (markdown) => {
    for (const part of formatForSlack(`before ${markdown} after`)) expect(part).not.toMatch(PING);
  });
});

describe('splitForSlack', () => {
  it('keeps a short text whole and drops an empty one', () => {
    expect(splitForSlack('hello', 100)).toEqual(['hello']);
    expect(splitForSlack('  \n ', 100)).toEqual([]);
  });

  it('cuts at paragraph breaks when it can', () => {
    const paragraphs = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40), 'd'.repeat(40)];
    const parts = splitForSlack(paragraphs.join('\n\n'), 100);
    expect(parts).toEqual([`${paragraphs[0]}\n\n${paragraphs[1]}`, `${paragraphs[2]}\n\n${paragraphs[3]}`]);
  });

  it('cuts at line breaks, then at spaces, each part within the limit, losing no word', () => {
    const words = Array.from({ length: 120 }, (_, i) => `word${i}`);
    const text = `${words.slice(0, 20).join('\n')}\n${words.slice(20).join(' ')}`;
    const parts = splitForSlack(text, 100);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(100);
    expect(parts.join(' ').split(/\s+/)).toEqual(words);
  });

  it('closes a code block at the end of a part and reopens it in the next', () => {
    const code = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const parts = splitForSlack(`Here:\n\`\`\`\n${code}\n\`\`\`\nDone.`, 80);
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(80);
      expect(part.split('```').length % 2).toBe(1);
    }
    const lines = parts
      .join('\n')
      .split('\n')
      .filter((l) => l.startsWith('line '));
    expect(lines).toEqual(code.split('\n'));
    expect(parts.at(-1)).toMatch(/Done\.$/);
  });

  it('never cuts inside a <…> token or a surrogate pair', () => {
    const link = '<https://example.com/some/long/path|a link>';
    const text = `${'x '.repeat(30)}${link} ${'y '.repeat(30)}`;
    const parts = splitForSlack(text, 80);
    expect(parts.some((part) => part.includes(link))).toBe(true);
    const emoji = '😀'.repeat(100);
    for (const part of splitForSlack(emoji, 51)) expect(part).toMatch(/^(😀)+$/u);
  });

  it('splits a long reply into parts of at most 3000 characters', () => {
    const text = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} ${'lorem ipsum '.repeat(30)}`).join(
      '\n\n',
    );
    const parts = formatForSlack(text);
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(3000);
  });
});

describe('plain text skips the Markdown parser and comes out as the parser would give it', () => {
  const alphabet = fc.constantFrom(
    ...'aZé9 ,.;:!?\'"()%/+-=[]1w@*_#>'.split(''),
    'www.',
    '://',
    '\n',
    '1.',
    '1)',
    'http',
    '\n\n',
    '](',
    ']:',
    '==',
    '--',
  );
  it('property: whenever isPlainText says so, the text is what slackify-markdown makes of it', () => {
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }), (chars) => {
        const text = chars.join('');
        if (!isPlainText(text)) return;
        expect(text).toBe(slackify(text).trim());
      }),
      { numRuns: 20000, seed: 20261201 },
    );
  });

  it.each([
    ['reply to chaos message 108 end', true],
    ["It's 5 o'clock (more or less), 100% sure!", true],
    ['- a list', false],
    ['1. a list', false],
    ['mail a@b.c', false],
    ['see https://example.com', false],
    ['see www.example.com', false],
    ['**bold**', false],
    ['two\nlines', true],
    ['[offline echo] You said: "hi"\nGive it a model (e.g. model=google:gemini-2.5-flash).', true],
    ['one\n\ntwo paragraphs', true],
    ['three\n\n\nblank lines', false],
    ['a heading\n===', false],
    ['a heading\n--', false],
    ['[a link](x)', false],
    ['[label]: /defined', false],
    ['text\n  indented', false],
    ['---', false],
    ['- - -', false],
  ])('%j → %s', (text, plain) => {
    expect(isPlainText(text)).toBe(plain);
  });
});
