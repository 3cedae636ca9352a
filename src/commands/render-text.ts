/** A CommandReply as plain text for the terminal: title, headline, aligned fields, rows as columns. */
import type { CommandReply } from './command.ts';

const COLUMNS = [
  ['NAME', 'name'],
  ['STATUS', 'status'],
  ['MODEL', 'model'],
  ['CHANNELS', 'channels'],
  ['ROLE', 'role'],
] as const;

export function renderReplyAsText(reply: CommandReply): string {
  const lines: string[] = [];
  if (reply.title) lines.push(reply.title);
  lines.push(reply.text);
  const fields = reply.fields ?? [];
  if (fields.length > 0) {
    const width = Math.max(...fields.map((field) => length(field.label))) + 2;
    for (const { label, value } of fields) {
      const [first = '', ...more] = (value || '-').split('\n');
      lines.push(`  ${pad(`${label}:`, width)}${first}`);
      for (const line of more) lines.push(`  ${' '.repeat(width)}${line}`);
    }
  }
  const rows = reply.rows ?? [];
  if (rows.length > 0) {
    const cells = rows.map((row) => COLUMNS.map(([, key]) => oneLine(row[key]) || '-'));
    const table = [COLUMNS.map(([heading]) => heading), ...cells];
    const widths = COLUMNS.map((_, i) => Math.max(...table.map((cols) => length(cols[i] ?? ''))));
    for (const cols of table) {
      lines.push(`  ${cols.map((cell, i) => pad(cell, (widths[i] ?? 0) + 2)).join('')}`.trimEnd());
    }
  }
  return lines.join('\n');
}

/** Characters as people count them (one per code point), not UTF-16 units. */
function length(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - length(text)));
}

function oneLine(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}
