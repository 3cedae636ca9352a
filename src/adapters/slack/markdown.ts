/**
 * Agent replies as Slack renders Markdown itself: each part of a reply is a `markdown` block
 * (standard Markdown, which Slack formats) and, where a Markdown table fits Slack's `table` block
 * (at most 100 rows and 20 columns), that table as a table block. Ping-safety stays ours: no
 * broadcast (`<!channel>`, `<!here>`, `@everyone`, user groups) survives, in text or in code; user
 * mentions stay, as in mrkdwn. The splitting is the mrkdwn path's (format.ts), applied to the
 * Markdown. The mrkdwn conversion remains for the message's `text`, which Slack shows in
 * notifications. Pure.
 */
import type { types } from '@slack/bolt';
import { neutralizeRawBroadcasts, revealLink, splitForSlack, toSafeMrkdwn } from './format.ts';

/** Slack's cap on the text of all markdown blocks in one message (our parts stay far below). */
export const MARKDOWN_BLOCK_LIMIT = 12_000;
export const TABLE_MAX_ROWS = 100;
export const TABLE_MAX_COLUMNS = 20;

const WORD_JOINER = '\u2060';
const CODE = /```[\s\S]*?```|`[^`\n]*`/g;
/** A `<…>` sequence without nested brackets, or a lone `<` before what would start a command. */
const ANGLE = /<([^<>\n]*)>|<(?=[!@#])/g;
const USER_MENTION = /^@[UW][A-Z0-9]+(\|[^|]*)?$/;
const CHANNEL_LINK = /^#[CG][A-Z0-9]+(\|[^|]*)?$/;
const LINK = /^(https?:\/\/|mailto:)[^\s|]+(\|.*)?$/i;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_DELIMITER = /^\s*\|(\s*:?-+:?\s*\|)+\s*$/;
const FENCE = '```';

type Block = types.KnownBlock;

export interface SlackPart {
  /** Notification text (safe mrkdwn). */
  text: string;
  blocks: Block[];
}

/** The parts of a reply, split like the mrkdwn path (a code block cut in two is closed and reopened). */
export function markdownParts(markdown: string, limit: number): string[] {
  return splitForSlack(safeMarkdown(markdown).trim(), limit);
}

/** One part as a message: its blocks (markdown, and a table block where one fits) and its fallback text. */
export function renderPart(part: string): SlackPart {
  return { text: toSafeMrkdwn(part) || '…', blocks: partBlocks(part) };
}

/** Markdown a markdown block may show: broadcasts neutralised, code included. */
export function safeMarkdown(markdown: string): string {
  let out = '';
  let last = 0;
  for (const match of markdown.matchAll(CODE)) {
    out += safeText(markdown.slice(last, match.index));
    // In code a `<!here>` stays readable but can never be read as a command.
    out += match[0].replace(/<([!@#])/g, `<${WORD_JOINER}$1`);
    last = match.index + match[0].length;
  }
  out += safeText(markdown.slice(last));
  return neutralizeRawBroadcasts(out);
}

function safeText(text: string): string {
  return text.replace(ANGLE, (whole: string, inner: string | undefined) => {
    if (inner === undefined) return `<${WORD_JOINER}`;
    if (inner.startsWith('!')) return inner.startsWith('!date^') ? whole : harmless(inner);
    if (USER_MENTION.test(inner) || CHANNEL_LINK.test(inner)) return whole;
    if (LINK.test(inner)) return revealLink(inner);
    return `<${WORD_JOINER}${inner}>`;
  });
}

/** `!channel` → `@⁠channel`; `!subteam^S1|@devs` → `@⁠devs`; `!subteam^S1` → `@⁠group`. */
function harmless(inner: string): string {
  const [command = '', label] = inner.slice(1).split('|', 2);
  const name = label?.replace(/^@+/, '').trim() || (command.startsWith('subteam^') ? 'group' : command);
  return `@${WORD_JOINER}${name}`;
}

/** Markdown blocks around at most one table block (Slack allows one table per message). */
export function partBlocks(part: string): Block[] {
  const table = findTable(part);
  if (!table) return [markdownBlock(part)];
  const lines = part.split('\n');
  const before = lines.slice(0, table.start).join('\n').trim();
  const after = lines.slice(table.end).join('\n').trim();
  return [
    ...(before ? [markdownBlock(before)] : []),
    tableBlock(table.rows, table.align),
    ...(after ? [markdownBlock(after)] : []),
  ];
}

function markdownBlock(text: string): Block {
  return { type: 'markdown', text: text.slice(0, MARKDOWN_BLOCK_LIMIT) };
}

interface FoundTable {
  start: number;
  end: number;
  rows: string[][];
  align: Array<'left' | 'center' | 'right' | undefined>;
}

/** The first Markdown table outside code that a table block can hold. */
export function findTable(part: string): FoundTable | undefined {
  const lines = part.split('\n');
  let inCode = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!inCode && TABLE_ROW.test(line) && TABLE_DELIMITER.test(lines[i + 1] ?? '')) {
      let end = i + 2;
      while (end < lines.length && TABLE_ROW.test(lines[end] ?? '')) end++;
      const header = cellsOf(line);
      const rows = [header, ...lines.slice(i + 2, end).map(cellsOf)];
      const width = Math.max(...rows.map((row) => row.length));
      if (rows.length <= TABLE_MAX_ROWS && width <= TABLE_MAX_COLUMNS) {
        const align = cellsOf(lines[i + 1] ?? '').map(alignmentOf);
        return { start: i, end, rows: rows.map((row) => pad(row, width)), align };
      }
      i = end - 1;
      continue;
    }
    if ((line.split(FENCE).length - 1) % 2 === 1) inCode = !inCode;
  }
  return undefined;
}

function cellsOf(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => plainCell(cell.trim()));
}

/** A raw_text cell shows its text as typed: drop the emphasis and code marks, unescape pipes. */
function plainCell(cell: string): string {
  return cell
    .replace(/\\\|/g, '|')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/`([^`]*)`/g, '$1');
}

function alignmentOf(delimiter: string): 'left' | 'center' | 'right' | undefined {
  const left = delimiter.startsWith(':');
  const right = delimiter.endsWith(':');
  if (left && right) return 'center';
  if (right) return 'right';
  if (left) return 'left';
  return undefined;
}

function pad(row: string[], width: number): string[] {
  return [...row, ...Array.from({ length: width - row.length }, () => '')];
}

function tableBlock(rows: string[][], align: FoundTable['align']): Block {
  const settings = align.map((a) => ({ is_wrapped: true, ...(a && { align: a }) }));
  return {
    type: 'table',
    rows: rows.map((row) => row.map((text) => ({ type: 'raw_text' as const, text: text || ' ' }))),
    column_settings: settings.slice(0, TABLE_MAX_COLUMNS),
  };
}
