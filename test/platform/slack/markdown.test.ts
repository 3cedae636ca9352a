/** Replies as Slack's markdown and table blocks: what survives, what never pings, where a table fits. */
import { describe, expect, it } from 'vitest';
import {
  findTable,
  markdownParts,
  partBlocks,
  renderPart,
  safeMarkdown,
  TABLE_MAX_COLUMNS,
  TABLE_MAX_ROWS,
} from '../../../src/adapters/slack/markdown.ts';

const PING = /<!(channel|here|everyone|subteam)|(^|[^\p{L}\p{N}_@])@(channel|here|everyone)\b/iu;

describe('safeMarkdown', () => {
  it.each([
    ['<!channel> look', '@\u2060channel look'],
    ['hey <!subteam^S1|@devs>', 'hey @\u2060devs'],
    ['hey <!subteam^S1>', 'hey @\u2060group'],
    ['cc @here and @everyone', 'cc @\u2060here and @\u2060everyone'],
    ['`<!here>` in code', '`<\u2060!here>` in code'],
    ['```\n<!channel>\n```', '```\n<\u2060!channel>\n```'],
    ['thanks <@U123ABC>', 'thanks <@U123ABC>'],
    ['see <#C0GENERAL>', 'see <#C0GENERAL>'],
    ['**bold** and [docs](https://example.com)', '**bold** and [docs](https://example.com)'],
    ['<https://evil.example|click me>', 'click me (<https://evil.example>)'],
    ['a <b> tag', 'a <\u2060b> tag'],
    ['<!date^1392734382^{date}|Feb 18>', '<!date^1392734382^{date}|Feb 18>'],
  ])('%j → %j', (input, expected) => {
    expect(safeMarkdown(input)).toBe(expected);
    expect(safeMarkdown(input)).not.toMatch(PING);
  });
});

describe('markdownParts and renderPart', () => {
  it('keeps Markdown for Slack to render, with a safe mrkdwn notification text', () => {
    const [part] = markdownParts('**Done** <!here>', 3000);
    const rendered = renderPart(part ?? '');
    expect(rendered.blocks).toEqual([{ type: 'markdown', text: '**Done** @\u2060here' }]);
    expect(rendered.text).toContain('*Done*');
    expect(rendered.text).not.toMatch(PING);
  });

  it('splits long replies like the mrkdwn path, closing and reopening a code block', () => {
    const code = `\`\`\`\n${'const x = 1;\n'.repeat(400)}\`\`\``;
    const parts = markdownParts(code, 3000);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(3000);
      expect(part.startsWith('```')).toBe(true);
      expect(part.trimEnd().endsWith('```')).toBe(true);
    }
  });
});

describe('tables', () => {
  const table = (rows: number, columns: number) =>
    [
      `| ${Array.from({ length: columns }, (_, c) => `h${c}`).join(' | ')} |`,
      `| ${Array.from({ length: columns }, () => '---').join(' | ')} |`,
      ...Array.from(
        { length: rows },
        (_, r) => `| ${Array.from({ length: columns }, (_, c) => `${r}.${c}`).join(' | ')} |`,
      ),
    ].join('\n');

  it('becomes a table block between the text around it, cells as typed', () => {
    const blocks = partBlocks('Before\n\n| A | B \\| C |\n| :-: | --- |\n| `x` | **y** |\n\nAfter');
    expect(blocks).toEqual([
      { type: 'markdown', text: 'Before' },
      {
        type: 'table',
        rows: [
          [
            { type: 'raw_text', text: 'A' },
            { type: 'raw_text', text: 'B | C' },
          ],
          [
            { type: 'raw_text', text: 'x' },
            { type: 'raw_text', text: 'y' },
          ],
        ],
        column_settings: [{ is_wrapped: true, align: 'center' }, { is_wrapped: true }],
      },
      { type: 'markdown', text: 'After' },
    ]);
  });

  it('stays Markdown when it is too big for a table block, or inside code', () => {
    expect(findTable(table(TABLE_MAX_ROWS - 1, 2))).toBeDefined();
    expect(findTable(table(TABLE_MAX_ROWS, 2))).toBeUndefined();
    expect(findTable(table(2, TABLE_MAX_COLUMNS))).toBeDefined();
    expect(findTable(table(2, TABLE_MAX_COLUMNS + 1))).toBeUndefined();
    expect(findTable(`\`\`\`\n${table(2, 2)}\n\`\`\``)).toBeUndefined();
  });

  it('makes at most one table block per message: a second table stays Markdown', () => {
    const blocks = partBlocks(`${table(1, 2)}\n\nand\n\n${table(1, 2)}`);
    expect(blocks.map((b) => b.type)).toEqual(['table', 'markdown']);
    expect((blocks[1] as { text: string }).text).toContain('| h0 | h1 |');
  });
});
