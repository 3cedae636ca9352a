/** `agent-bridge usage [--workspace platform:id] [--since 30d]`: tokens and cost per workspace, agent and model. */
import type { Db } from '../store/database.ts';
import { formatUsd } from './budget-limits.ts';
import type { PriceTable } from './prices.ts';
import { type UsageRow, usageTable } from './usage-queries.ts';

/** `24h`, `7d`, `30d` or a date (`2026-12-01`, ISO); undefined when it is none of them. Pure. */
export function parseSince(raw: string, now = Date.now()): Date | undefined {
  const relative = /^(\d+)([hd])$/.exec(raw.trim());
  if (relative) {
    const hours = Number(relative[1]) * (relative[2] === 'd' ? 24 : 1);
    return new Date(now - hours * 3_600_000);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw.trim())) return undefined;
  const date = new Date(raw.trim());
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The rows as an aligned text table, with a total line. Pure. */
export function renderUsageTable(rows: readonly UsageRow[], since: Date): string {
  if (rows.length === 0) return `No model usage since ${since.toISOString()}.`;
  const header = ['WORKSPACE', 'AGENT', 'MODEL', 'REPLIES', 'INPUT TOKENS', 'OUTPUT TOKENS', 'COST (USD)'];
  const cost = (row: Pick<UsageRow, 'usd' | 'priced'>) => (row.priced ? formatUsd(row.usd) : 'price unknown');
  const body = rows.map((row) => [
    row.workspace,
    row.agent,
    row.model,
    String(row.replies),
    String(row.inputTokens),
    String(row.outputTokens),
    cost(row),
  ]);
  const sum = (pick: (row: UsageRow) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const unpriced = rows.some((row) => !row.priced);
  body.push([
    'TOTAL',
    '',
    '',
    String(sum((r) => r.replies)),
    String(sum((r) => r.inputTokens)),
    String(sum((r) => r.outputTokens)),
    `${formatUsd(sum((r) => r.usd))}${unpriced ? ' + price unknown' : ''}`,
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...body.map((line) => line[i]?.length ?? 0)),
  );
  const numeric = new Set([3, 4, 5, 6]);
  const format = (line: string[]) =>
    line
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [`Model usage since ${since.toISOString()}:`, format(header), ...body.map(format)].join('\n');
}

export async function usageReport(
  db: Db,
  options: { since: Date; workspace?: { platform: string; externalId: string } | undefined },
  prices: PriceTable,
): Promise<string> {
  let workspaceId: string | undefined;
  if (options.workspace) {
    const found = await db.workspace.findUnique({
      where: { platform_externalId: options.workspace },
      select: { id: true },
    });
    if (!found) return `No workspace ${options.workspace.platform}:${options.workspace.externalId} here.`;
    workspaceId = found.id;
  }
  return renderUsageTable(await usageTable(db, { since: options.since, workspaceId }, prices), options.since);
}
