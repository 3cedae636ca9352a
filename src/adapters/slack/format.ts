/**
 * Model Markdown → what Slack gets: mrkdwn (slackify-markdown), made safe (no broadcast pings,
 * no stray `<…>` control sequences) and split into messages Slack shows whole. Pure.
 */
import slackify from 'slackify-markdown';
import { cutIndex } from '../../core/clean-text.ts';

/** Per message: Slack truncates `text` at 40,000 characters and folds long ones; 3,000 reads well. */
export const SLACK_TEXT_LIMIT = 3000;

/** Makes `@channel` unlinkable while it still reads as `@channel`. */
const WORD_JOINER = '\u2060';
const FENCE = '```';
/** Fenced blocks first, then inline code, as slackify-markdown writes them. */
const CODE = /```[\s\S]*?```|`[^`\n]*`/g;
/** A `<…>` sequence without nested brackets, or a lone `<`. */
const ANGLE = /<([^<>\n]*)>|</g;
const RAW_BROADCAST = /(^|[^\p{L}\p{N}_@])@(channel|here|everyone)(?![\p{L}\p{N}_])/giu;
const USER_MENTION = /^@[UW][A-Z0-9]+(\|[^|]*)?$/;
const CHANNEL_LINK = /^#[CG][A-Z0-9]+(\|[^|]*)?$/;
const LINK = /^(https?:\/\/|mailto:)[^\s|]+(\|.*)?$/i;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_DELIMITER = /^\s*\|(\s*:?-+:?\s*\|)+\s*$/;

/** The whole pipeline: Markdown → mrkdwn → safe → parts of at most `limit` characters. */
export function formatForSlack(markdown: string, limit = SLACK_TEXT_LIMIT): string[] {
  return splitForSlack(toSafeMrkdwn(markdown), limit);
}

/**
 * Words and plain punctuation, which Markdown leaves as they are: no emphasis, code, heading,
 * quote, list, table, link or autolink (`@`, `://`, `www.`) syntax, nothing to escape. Parsing it
 * (slackify-markdown builds a whole syntax tree, ~0.5 ms for a short reply) would give it back
 * unchanged. Lines are checked one by one; paragraphs are separated by one blank line at most.
 */
const PLAIN_CHARS = /^[\p{L}\p{N} ,.;:!?'"()%/+=[\]\n-]*$/u;
const LIST_START = /^(?:[-+](?:\s|$)|\d+[.)](?:\s|$))/u;
/** `---`, `- - -` (a thematic break) and `==` / `--` under a line (a setext heading). */
const BREAK_OR_UNDERLINE = /^(?:(?:-\s*){2,}|=+)$/u;
/** `[label]: destination` defines a link and vanishes; `[label](…)` is a link. */
const LINK_SYNTAX = /^\[[^\]]*\]:|\]\(/u;

export function isPlainText(text: string): boolean {
  if (!PLAIN_CHARS.test(text) || text !== text.trim() || text.includes('\n\n\n')) return false;
  if (text.includes('://') || /www\./iu.test(text)) return false;
  for (const line of text.split('\n')) {
    if (line !== line.trim() || LIST_START.test(line) || BREAK_OR_UNDERLINE.test(line)) return false;
    if (LINK_SYNTAX.test(line)) return false;
  }
  return true;
}

export function toSafeMrkdwn(markdown: string): string {
  let converted: string;
  try {
    converted = isPlainText(markdown) ? markdown : slackify(markdown);
  } catch {
    converted = escapeEntities(markdown);
  }
  return wrapTables(neutralizeMrkdwn(converted)).trim();
}

/**
 * Broadcasts (`<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`) become plain `@channel` text,
 * raw `@here` words get a word joiner, code is entity-escaped (Slack reads `<…>` even in code) and
 * any other unknown `<…>` is shown literally. User mentions, channel links and dates stay; links
 * stay but show their real address (revealLink).
 */
export function neutralizeMrkdwn(mrkdwn: string): string {
  let out = '';
  let last = 0;
  for (const match of mrkdwn.matchAll(CODE)) {
    out += neutralizeText(mrkdwn.slice(last, match.index));
    out += escapeCode(match[0]);
    last = match.index + match[0].length;
  }
  out += neutralizeText(mrkdwn.slice(last));
  return neutralizeRawBroadcasts(out);
}

export function neutralizeRawBroadcasts(text: string): string {
  return text.replace(RAW_BROADCAST, (_, before: string, word: string) => `${before}@${WORD_JOINER}${word}`);
}

function neutralizeText(text: string): string {
  return text.replace(ANGLE, (whole: string, inner: string | undefined) => {
    if (inner === undefined) return '&lt;';
    if (inner.startsWith('!')) return inner.startsWith('!date^') ? whole : harmlessBroadcast(inner);
    if (LINK.test(inner)) return revealLink(inner);
    if (USER_MENTION.test(inner) || CHANNEL_LINK.test(inner)) return whole;
    return `&lt;${inner}&gt;`;
  });
}

/**
 * A masked link (`<https://x|text>`, also what Markdown's `[text](https://x)` becomes) shows its
 * real address: `text (<https://x>)`. A link whose label is its address stays as it is.
 */
export function revealLink(inner: string): string {
  const bar = inner.indexOf('|');
  if (bar < 0) return `<${inner}>`;
  const url = inner.slice(0, bar);
  const label = inner.slice(bar + 1).trim();
  if (label === '' || sameAddress(label, url)) return `<${inner}>`;
  return `${label} (<${url}>)`;
}

function sameAddress(label: string, url: string): boolean {
  const bare = (text: string) =>
    decodeEntities(text)
      .toLowerCase()
      .replace(/^(https?:\/\/|mailto:)/, '')
      .replace(/\/+$/, '');
  return bare(label) === bare(url);
}

/** `!channel` → `@⁠channel`; `!subteam^S1|@devs` → `@⁠devs`; `!subteam^S1` → `@⁠group`. */
function harmlessBroadcast(inner: string): string {
  const [command = '', label] = inner.slice(1).split('|', 2);
  const name = label?.replace(/^@+/, '').trim() || (command.startsWith('subteam^') ? 'group' : command);
  return `@${WORD_JOINER}${escapeEntities(name)}`;
}

function escapeCode(code: string): string {
  const fence = code.startsWith(FENCE) ? FENCE : '`';
  const body = code.slice(fence.length, code.length - fence.length);
  return `${fence}${escapeEntities(body)}${fence}`;
}

export function escapeEntities(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack has no tables: a Markdown table (already aligned by slackify) reads well in monospace. */
export function wrapTables(mrkdwn: string): string {
  const lines = mrkdwn.split('\n');
  const out: string[] = [];
  let inCode = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!inCode && TABLE_ROW.test(line) && TABLE_DELIMITER.test(lines[i + 1] ?? '')) {
      let end = i + 2;
      while (end < lines.length && TABLE_ROW.test(lines[end] ?? '')) end++;
      out.push(FENCE, ...alignTable(lines.slice(i, end)), FENCE);
      i = end - 1;
      continue;
    }
    if (countFences(line) % 2 === 1) inCode = !inCode;
    out.push(line);
  }
  return out.join('\n');
}

/** Re-pads the columns by the width Slack shows (`&amp;` is one character), delimiter row included. */
function alignTable(rows: readonly string[]): string[] {
  const cells = rows.map((row) =>
    row
      .trim()
      .replace(/^\|/, '')
      .replace(/(?<!\\)\|$/, '')
      .split(/(?<!\\)\|/)
      // In monospace the zero-width spaces slackify puts around *bold* only skew the columns.
      .map((cell) => cell.replace(/\u200B/g, '').trim()),
  );
  const shown = (cell: string) => [...decodeEntities(cell)].length;
  const widths: number[] = [];
  cells.forEach((row, r) => {
    if (r === 1) return;
    row.forEach((cell, c) => {
      widths[c] = Math.max(widths[c] ?? 1, shown(cell));
    });
  });
  return cells.map((row, r) => {
    const padded = widths.map((width, c) => {
      if (r === 1) return '-'.repeat(width);
      const cell = row[c] ?? '';
      return cell + ' '.repeat(width - shown(cell));
    });
    return `| ${padded.join(' | ')} |`;
  });
}

/** Slack escapes `&`, `<`, `>` in message text; this gives back the characters. */
export function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * Parts of at most `limit` characters, cut at a paragraph break when one is in the second half
 * of a part, else at a line break, else at a space. A part that ends inside a code block closes
 * it and the next part reopens it.
 */
export function splitForSlack(text: string, limit = SLACK_TEXT_LIMIT): string[] {
  if (text.trim() === '') return [];
  if (text.length <= limit) return [text];
  // Room for the ``` that closes and reopens a code block across parts.
  const budget = Math.max(16, limit - 2 * (FENCE.length + 1));
  const lines = text.split('\n').flatMap((line) => wrapLine(line, budget));
  const parts: string[] = [];
  let current: string[] = [];
  let openAtStart = false;

  const emit = (count: number): void => {
    const taken = current.slice(0, count);
    const openAtEnd = taken.reduce((open, line) => (countFences(line) % 2 === 1 ? !open : open), openAtStart);
    const body = taken.join('\n').replace(/\s+$/, '');
    if (body.trim() !== '' && body.trim() !== FENCE) {
      parts.push(`${openAtStart ? `${FENCE}\n` : ''}${body}${openAtEnd ? `\n${FENCE}` : ''}`);
    }
    current = current.slice(count);
    openAtStart = openAtEnd;
    if (!openAtStart) while (current[0]?.trim() === '') current.shift();
  };

  for (const line of lines) {
    while (current.length > 0 && joinedLength(current) + 1 + line.length > budget) {
      emit(paragraphCut(current, budget));
    }
    current.push(line);
  }
  while (current.length > 0) emit(current.length);
  return parts;
}

function joinedLength(lines: readonly string[]): number {
  return lines.reduce((sum, line) => sum + line.length, Math.max(0, lines.length - 1));
}

/** The last blank line past half the budget, so a part ends with its paragraph; else everything. */
function paragraphCut(lines: readonly string[], budget: number): number {
  for (let i = lines.length - 1; i > 0; i--) {
    if (lines[i]?.trim() === '' && joinedLength(lines.slice(0, i)) >= budget / 2) return i;
  }
  return lines.length;
}

/** A line longer than the budget, cut at spaces (never inside a `<…>` token or a surrogate pair). */
function wrapLine(line: string, budget: number): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > budget) {
    let cut = rest.lastIndexOf(' ', budget);
    const open = rest.lastIndexOf('<', cut > 0 ? cut : budget);
    if (open > 0 && rest.indexOf('>', open) > (cut > 0 ? cut : budget)) cut = open;
    if (cut <= budget / 4) cut = budget;
    cut = cutIndex(rest, cut);
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  pieces.push(rest);
  return pieces;
}

function countFences(line: string): number {
  return line.split(FENCE).length - 1;
}
