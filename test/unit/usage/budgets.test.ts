import { describe, expect, it } from 'vitest';
import { describePeriod } from '../../../src/commands/agent-stats.ts';
import { budgetRefusal } from '../../../src/commands/budget.ts';
import { budgetLines, estimateInputTokens } from '../../../src/usage/budget-gate.ts';
import {
  applyBudgetChanges,
  budgetChangesFrom,
  budgetOf,
  describeLimits,
  parseTokens,
  parseUsd,
  windowOf,
} from '../../../src/usage/budget-limits.ts';
import { backAt, budgetNoticeText, budgetOwnerText } from '../../../src/usage/budget-notice.ts';
import { costOf, DEFAULT_MODEL_PRICES, parseModelPrices, priceOf } from '../../../src/usage/prices.ts';
import { budgetLeft } from '../../../src/usage/spending.ts';
import { parseSince, renderUsageTable } from '../../../src/usage/usage-cli.ts';
import { percentile } from '../../../src/usage/usage-queries.ts';

describe('budget values as typed', () => {
  it.each([
    ['200000', 200_000],
    ['200k', 200_000],
    ['1.5M', 1_500_000],
    ['2_000', 2000],
    ['0', null],
    ['', null],
    ['off', null],
  ])('tokens %j → %j', (raw, value) => {
    expect(parseTokens('budget_daily_tokens', raw)).toEqual({ ok: true, value });
  });

  it.each(['lots', '-5', '1.2.3', '0.0001k'])('tokens %j is refused with an example', (raw) => {
    expect(parseTokens('budget_daily_tokens', raw)).toEqual({
      ok: false,
      error: 'give budget_daily_tokens a number of tokens, e.g. budget_daily_tokens=200k (0 removes it)',
    });
  });

  it.each([
    ['25', 25],
    ['$2.50', 2.5],
    ['0', null],
    ['0.00', null],
  ])('usd %j → %j', (raw, value) => {
    expect(parseUsd('budget_monthly_usd', raw)).toEqual({ ok: true, value });
  });

  it('changes apply over what is stored; removing every limit leaves none', () => {
    const changes = budgetChangesFrom({ budget_daily_tokens: '10k', budget_monthly_usd: '0' });
    expect(changes).toEqual({ ok: true, value: { dailyTokens: 10_000, monthlyUsd: null } });
    if (!changes.ok) return;
    expect(applyBudgetChanges({ monthlyUsd: 5 }, changes.value)).toEqual({ dailyTokens: 10_000 });
    expect(applyBudgetChanges({ monthlyUsd: 5 }, { monthlyUsd: null })).toBeNull();
  });

  it('stored values: JSON text or objects; junk and zero are no limit', () => {
    expect(budgetOf('{"dailyTokens":100,"monthlyUsd":2}')).toEqual({ dailyTokens: 100, monthlyUsd: 2 });
    expect(budgetOf({ dailyTokens: 0, other: 5 })).toBeNull();
    expect(budgetOf('{}')).toBeNull();
    expect(budgetOf('not json')).toBeNull();
    expect(budgetOf(null)).toBeNull();
  });

  it('describes limits for people', () => {
    expect(describeLimits({ dailyTokens: 200_000, monthlyUsd: 25 })).toBe('200k tokens/day, $25.00/month');
    expect(describeLimits({ monthlyTokens: 1_500_000, dailyUsd: 0.005 })).toBe(
      '$0.0050/day, 1.5M tokens/month',
    );
    expect(describeLimits(null)).toBe('none');
  });
});

describe('UTC windows', () => {
  it.each([
    ['2026-12-01T16:30:00Z', 'day', '2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z'],
    ['2026-12-31T23:59:59Z', 'day', '2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2026-12-31T23:59:59Z', 'month', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['2028-02-29T12:00:00Z', 'month', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
  ] as const)('%s (%s) runs from %s to %s', (at, period, start, end) => {
    const window = windowOf(period, Date.parse(at));
    expect(new Date(window.start).toISOString()).toBe(start);
    expect(new Date(window.end).toISOString()).toBe(end);
  });

  it('ids change with the window and match what the Redis script computes', () => {
    expect(windowOf('day', Date.parse('2026-12-01T10:00:00Z')).id).toBe('d20788');
    expect(windowOf('month', Date.parse('2026-12-01T10:00:00Z')).id).toBe(`m${2026 * 12 + 11}`);
  });
});

describe('notices', () => {
  const now = Date.parse('2026-12-01T16:30:00Z');
  const day = {
    scope: 'agent' as const,
    period: 'day' as const,
    resetAt: Date.parse('2026-12-02T00:00:00Z'),
    limits: { dailyTokens: 1000 },
  };

  it('says when the agent is back', () => {
    expect(budgetNoticeText('Aria', day, now)).toBe("Aria has used today's budget; back at 00:00 UTC.");
    expect(
      budgetNoticeText(
        'Aria',
        { ...day, scope: 'workspace', period: 'month', resetAt: Date.parse('2027-01-01T00:00:00Z') },
        now,
      ),
    ).toBe("This workspace has used this month's budget; Aria is back on 2027-01-01 at 00:00 UTC.");
    expect(backAt(Date.parse('2026-12-02T00:00:00Z'), now)).toBe('at 00:00 UTC');
  });

  it('tells the owner the limit and how to change it', () => {
    expect(budgetOwnerText('Aria', day, now)).toBe(
      'Aria has used its daily budget (1k tokens/day): it answers again at 00:00 UTC. Messages until then get one notice per conversation. To change the budget: /agent edit Aria budget_daily_tokens=….',
    );
  });
});

describe('prices', () => {
  it('ships defaults by model id; a spec finds its model id', () => {
    expect(priceOf(DEFAULT_MODEL_PRICES, 'google:gemini-2.5-flash')).toEqual({ input: 0.3, output: 2.5 });
    expect(priceOf(DEFAULT_MODEL_PRICES, 'local:llama3.2')).toBeUndefined();
    expect(costOf({ input: 0.3, output: 2.5 }, 1_000_000, 100_000)).toBeCloseTo(0.55);
    expect(costOf(undefined, 1_000_000, 1_000_000)).toBe(0);
  });

  it('MODEL_PRICES adds and overrides; bad input says what to write', () => {
    const parsed = parseModelPrices(
      '{"llama3.2":{"input":0,"output":0},"gemini-2.5-flash":{"input":1,"output":2}}',
    );
    expect(parsed.ok && parsed.value['llama3.2']).toEqual({ input: 0, output: 0 });
    expect(parsed.ok && parsed.value['gemini-2.5-flash']).toEqual({ input: 1, output: 2 });
    expect(parsed.ok && parsed.value['gpt-4o']).toEqual(DEFAULT_MODEL_PRICES['gpt-4o']);
    expect(parseModelPrices('[1]')).toMatchObject({ ok: false });
    expect(parseModelPrices('{"x":{"input":-1,"output":1}}')).toMatchObject({
      ok: false,
      error: expect.stringContaining('MODEL_PRICES["x"] needs "input" and "output" numbers >= 0'),
    });
  });
});

describe('the gate without I/O', () => {
  it('no budget: no lines (nothing is sent to Redis)', () => {
    expect(budgetLines({ id: 'a', workspaceId: 'w', budget: null, workspaceBudget: null })).toEqual([]);
  });

  it('one line per subject and period that has a limit', () => {
    expect(
      budgetLines({
        id: 'a',
        workspaceId: 'w',
        budget: { dailyTokens: 5, monthlyUsd: 2 },
        workspaceBudget: { monthlyTokens: 9 },
      }),
    ).toEqual([
      { scope: 'agent', id: 'a', period: 'day', tokens: 5, usd: 0 },
      { scope: 'agent', id: 'a', period: 'month', tokens: 0, usd: 2 },
      { scope: 'workspace', id: 'w', period: 'month', tokens: 9, usd: 0 },
    ]);
  });

  it('estimates input generously (about 3 characters per token)', () => {
    const estimate = estimateInputTokens({
      system: 'x'.repeat(300),
      messages: [{ role: 'user', content: 'y'.repeat(300) }],
    });
    expect(estimate).toBeGreaterThanOrEqual(200);
    expect(estimate).toBeLessThan(250);
  });
});

describe('who may set budgets', () => {
  const admins = [{ platform: 'slack' as const, userId: 'UADMIN' }];
  it.each([
    [{ platform: 'slack', platformUserId: 'UADMIN', isPlatformAdmin: false }, undefined],
    [{ platform: 'slack', platformUserId: 'UOWNER', isPlatformAdmin: true }, undefined],
    [{ platform: 'shell', platformUserId: 'cli:me', isPlatformAdmin: false }, undefined],
    [
      { platform: 'slack', platformUserId: 'UANA', isPlatformAdmin: false },
      "Only an admin (a Slack workspace admin or owner, or AGENT_BRIDGE_ADMINS) can set Aria's budget.",
    ],
    [
      { platform: 'discord', platformUserId: '42', isPlatformAdmin: false },
      "Only an admin (Manage Server, or AGENT_BRIDGE_ADMINS) can set Aria's budget.",
    ],
  ] as const)('%o → %s', (actor, refusal) => {
    expect(budgetRefusal(actor, admins, "Aria's budget")).toBe(refusal);
  });
});

describe('reports', () => {
  it('percentiles by nearest rank', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([10, 20, 30, 40], 0.5)).toBe(20);
    expect(percentile([10, 20, 30, 40], 0.95)).toBe(40);
  });

  it('a period line', () => {
    expect(
      describePeriod(
        { replies: 11, failures: 1, p50Ms: 1200, p95Ms: 3400, conversations: 3 },
        { tokens: 12_300, usd: 0.0123, unpriced: [] },
      ),
    ).toBe(
      '11 replies, 92% succeeded (1 failed), p50 1.2 s, p95 3.4 s, 12.3k tokens, $0.01 USD, 3 conversations',
    );
    expect(
      describePeriod(
        { replies: 1, failures: 0, p50Ms: 500, p95Ms: 500, conversations: 1 },
        { tokens: 100, usd: 0, unpriced: ['local:llama3.2'] },
      ),
    ).toBe(
      '1 reply, 100% succeeded (0 failed), p50 0.5 s, p95 0.5 s, 100 tokens, $0.00 USD (price unknown: local:llama3.2), 1 conversation',
    );
  });

  it('budget left', () => {
    const spent = {
      day: { tokens: 400, usd: 0.5, unpriced: [] },
      month: { tokens: 900, usd: 3, unpriced: [] },
    };
    expect(budgetLeft({ dailyTokens: 1000, monthlyUsd: 10 }, spent)).toBe(
      '600 of 1k tokens today; $7.00 of $10.00 USD this month',
    );
    expect(budgetLeft({ dailyTokens: 100 }, spent)).toBe('0 of 100 tokens today');
    expect(budgetLeft(null, spent)).toBe('no budget');
  });

  it('--since', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(parseSince('24h', now)?.toISOString()).toBe('2026-11-30T12:00:00.000Z');
    expect(parseSince('30d', now)?.toISOString()).toBe('2026-11-01T12:00:00.000Z');
    expect(parseSince('2026-11-15', now)?.toISOString()).toBe('2026-11-15T00:00:00.000Z');
    expect(parseSince('yesterday', now)).toBeUndefined();
  });

  it('the usage table, with unknown prices said as such', () => {
    const since = new Date('2026-11-01T00:00:00Z');
    const text = renderUsageTable(
      [
        {
          workspace: 'slack:T1',
          agent: 'Aria',
          model: 'google:gemini-2.5-flash',
          replies: 2,
          inputTokens: 1000,
          outputTokens: 500,
          usd: 0.00156,
          priced: true,
        },
        {
          workspace: 'slack:T1',
          agent: 'Bo',
          model: 'local:llama3.2',
          replies: 1,
          inputTokens: 10,
          outputTokens: 5,
          usd: 0,
          priced: false,
        },
      ],
      since,
    );
    expect(text.split('\n')).toEqual([
      'Model usage since 2026-11-01T00:00:00.000Z:',
      'WORKSPACE  AGENT  MODEL                    REPLIES  INPUT TOKENS  OUTPUT TOKENS               COST (USD)',
      'slack:T1   Aria   google:gemini-2.5-flash        2          1000            500                  $0.0016',
      'slack:T1   Bo     local:llama3.2                 1            10              5            price unknown',
      'TOTAL                                            3          1010            505  $0.0016 + price unknown',
    ]);
    expect(renderUsageTable([], since)).toBe('No model usage since 2026-11-01T00:00:00.000Z.');
  });
});

describe('the text grammar', () => {
  it('edit takes budget keys beside the fields; workspace takes only budget keys', async () => {
    const { parseAgentCommand } = await import('../../../src/commands/parse.ts');
    expect(parseAgentCommand('edit Aria role=x budget_daily_tokens=10k')).toEqual({
      ok: true,
      command: { verb: 'edit', name: 'Aria', fields: { role: 'x' }, budget: { budget_daily_tokens: '10k' } },
    });
    expect(parseAgentCommand('workspace budget_monthly_usd=50')).toEqual({
      ok: true,
      command: { verb: 'workspace', budget: { budget_monthly_usd: '50' } },
    });
    expect(parseAgentCommand('workspace')).toEqual({ ok: true, command: { verb: 'workspace', budget: {} } });
    expect(parseAgentCommand('workspace role=x')).toEqual({
      ok: false,
      error:
        'Unknown key "role": use budget_daily_tokens, budget_monthly_tokens, budget_daily_usd, budget_monthly_usd.',
    });
    expect(parseAgentCommand('create Aria budget_daily_tokens=5')).toMatchObject({ ok: false });
    expect(parseAgentCommand('edit Aria budget_daily_usd=cheap')).toEqual({
      ok: false,
      error: 'Give budget_daily_usd an amount in USD, e.g. budget_daily_usd=25 (0 removes it).',
    });
  });
});
