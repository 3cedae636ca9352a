// Setting budgets through /agent: who may (admins only, on both providers), what is stored, what
// the refusal says, and what `/agent show` and `/agent workspace` report.
import { describe, expect, it } from 'vitest';
import { agentBudget, workspaceBudget } from '../../../src/store/budgets.ts';
import { providers, useTestDatabase } from '../../support/test-database.ts';
import { admin, ana, bob, owner, workspace } from './command-harness.ts';

describe.each(providers)('/agent budgets on %s', (provider) => {
  const t = useTestDatabase(provider);
  const db = () => t.current.db;

  it('an agent budget: admins set it, the creator and others are told who may', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria');
    const agentId = (await ws.agent('Aria'))?.id ?? '';

    expect(await ws.run(ana, 'edit Aria budget_daily_tokens=200k')).toEqual({
      ok: false,
      text: "Only an admin (a Slack workspace admin or owner, or AGENT_BRIDGE_ADMINS) can set Aria's budget.",
    });
    expect((await ws.run(bob, 'edit Aria budget_daily_tokens=200k')).text).toBe(
      'Only Ana (the creator) or an admin can edit Aria.',
    );
    expect(await agentBudget(db(), agentId)).toBeNull();

    expect(await ws.run(admin, 'edit Aria budget_daily_tokens=200k budget_monthly_usd=25')).toEqual({
      ok: true,
      text: 'Updated Aria: budget (200k tokens/day, $25.00/month).',
    });
    // A platform admin (Slack workspace owner) may too; 0 removes one limit and keeps the other.
    expect((await ws.run(owner, 'edit Aria budget_daily_tokens=0')).text).toBe(
      'Updated Aria: budget ($25.00/month).',
    );
    expect(await agentBudget(db(), agentId)).toEqual({ monthlyUsd: 25 });
    expect(await ws.actions('Aria')).toEqual(['create', 'budget', 'budget']);
    // A role change by the creator still works and leaves the budget alone.
    expect((await ws.run(ana, 'edit Aria role="Helper"')).ok).toBe(true);
    expect(await agentBudget(db(), agentId)).toEqual({ monthlyUsd: 25 });
  });

  it('a bad value says what to type', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria');
    const reply = await ws
      .run(admin, 'edit Aria budget_daily_tokens=lots')
      .catch((error: Error) => error.message);
    expect(reply).toContain(
      'Give budget_daily_tokens a number of tokens, e.g. budget_daily_tokens=200k (0 removes it).',
    );
  });

  it('the workspace budget: anyone sees it, only admins set it', async () => {
    const ws = workspace(db);
    expect(await ws.run(ana, 'workspace budget_monthly_tokens=5M')).toEqual({
      ok: false,
      text: "Only an admin (a Slack workspace admin or owner, or AGENT_BRIDGE_ADMINS) can set this workspace's budget.",
    });
    expect(await workspaceBudget(db(), await ws.id())).toBeNull();
    expect(await ws.run(admin, 'workspace budget_monthly_tokens=5M budget_daily_usd=2.5')).toEqual({
      ok: true,
      text: 'Workspace budget: $2.50/day, 5M tokens/month.',
    });
    const shown = await ws.run(ana, 'workspace');
    expect(shown.ok).toBe(true);
    expect(shown.fields).toEqual([
      { label: 'Budget', value: '$2.50/day, 5M tokens/month' },
      { label: 'Used today (UTC)', value: '0 tokens, $0.0000 USD' },
      { label: 'Used this month (UTC)', value: '0 tokens, $0.0000 USD' },
      { label: 'Budget left', value: '$2.50 of $2.50 USD today; 5M of 5M tokens this month' },
    ]);
  });

  it('/agent show reports usage, the budget and what waits', async () => {
    const ws = workspace(db);
    await ws.run(ana, 'create Aria');
    await ws.run(admin, 'edit Aria budget_daily_tokens=1000');
    const shown = await ws.run(bob, 'show Aria');
    const fields = Object.fromEntries((shown.fields ?? []).map((f) => [f.label, f.value]));
    expect(fields).toMatchObject({
      'Last 24 hours': 'no replies',
      'Last 30 days': 'no replies',
      Budget: '1k tokens/day',
      'Budget left': '1k of 1k tokens today',
      Queued: '0 messages waiting',
    });
    expect(fields.Satisfaction).toBe('no votes in the last 30 days');
  });
});
