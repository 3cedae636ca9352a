// Budgets on the real reply processor, real Redis and SQLite, the real AI SDK against the fake
// Gemini: concurrent replies stay within one reply's output of the limit, the conversation is told
// once per window, the owner gets one DM, and the counters survive losing Redis's copy of them.
import { afterEach, describe, expect, it } from 'vitest';
import { statsFields } from '../../src/commands/agent-stats.ts';
import type { Session } from '../../src/commands/session.ts';
import { ensureUser } from '../../src/store/identities.ts';
import { budgetKey } from '../../src/usage/budget-ledger.ts';
import { windowOf } from '../../src/usage/budget-limits.ts';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { useTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const MAX_OUTPUT_TOKENS = 100;
const ENV = {
  MAX_OUTPUT_TOKENS: String(MAX_OUTPUT_TOKENS),
  AGENT_MAX_CONCURRENT: '100',
  AGENT_RATE_LIMIT_PER_MIN: '0',
  DEBOUNCE_MS: '0',
};
/** About 60 tokens as the fake counts them: below MAX_OUTPUT_TOKENS, as a real model's answer is. */
const ANSWER = 'word '.repeat(48).trim();

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function usedTokens(harness: Harness, agentId: string): Promise<number> {
  const sums = await harness.db.llmMessage.aggregate({
    where: { role: 'assistant', message: { agentId } },
    _sum: { promptTokens: true, completionTokens: true },
  });
  return (sums._sum.promptTokens ?? 0) + (sums._sum.completionTokens ?? 0);
}

async function setBudget(harness: Harness, agentId: string, dailyTokens: number, ownerId?: string) {
  await harness.db.agent.update({
    where: { id: agentId },
    data: { budget: { dailyTokens }, ...(ownerId && { ownerId }) },
  });
  harness.pipeline.directory.forgetChanges();
}

function textsIn(harness: Harness, channelId: string): string[] {
  return harness.adapter
    .replies()
    .filter((r) => r.channelId === channelId)
    .map((r) => r.text);
}

describe('spending budgets', () => {
  const t = useTestDatabase('sqlite');

  it('50 concurrent replies stay within the daily token budget plus one reply (MAX_OUTPUT_TOKENS)', async () => {
    h = await startHarness(t.current, ENV);
    const harness = h;
    const aria = await harness.createAgent('Aria');
    const limit = 1500;
    await harness.db.agent.update({ where: { id: aria.id }, data: { budget: { dailyTokens: limit } } });
    // Every model call waits until all that will start have started: they run at the same time.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    harness.gemini.setDefault({ text: ANSWER, release: released });

    const channels = Array.from({ length: 50 }, (_, i) => `D${i + 1}`);
    await Promise.all(channels.map((channelId) => harness.send(`question ${channelId}`, { channelId })));
    // Refused jobs answer at once with the notice; admitted ones wait in the fake model.
    await waitFor('every conversation answered or waiting on the model', () => {
      const noticed = channels.filter((c) => textsIn(harness, c).length > 0).length;
      return noticed + harness.gemini.requests.length === 50;
    });
    release();
    await waitFor('all 50 conversations answered', () =>
      channels.every((c) => textsIn(harness, c).length === 1),
    );

    const answered = channels.filter((c) => textsIn(harness, c)[0] === ANSWER).length;
    const refused = channels.filter((c) => textsIn(harness, c)[0]?.includes("has used today's budget"));
    expect(answered).toBe(harness.gemini.requests.length);
    expect(answered).toBeGreaterThan(0);
    expect(refused.length).toBe(50 - answered);
    const used = await usedTokens(harness, aria.id);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(limit + MAX_OUTPUT_TOKENS);
    // The counters hold what was used, not the reservations (reconciled after each call).
    const key = budgetKey(harness.prefix, { scope: 'agent', id: aria.id, period: 'day' });
    expect(Number(await harness.pipeline.redis.hget(key, 'tok'))).toBe(used);
  });

  it('the conversation gets the notice once per window, the owner one DM; later messages get nothing', async () => {
    h = await startHarness(t.current, ENV);
    const harness = h;
    const aria = await harness.createAgent('Aria');
    const owner = await ensureUser(harness.db, {
      platform: 'slack',
      externalId: 'UOWNER',
      displayName: 'Olga',
      isBot: false,
    });
    harness.gemini.setDefault({ text: ANSWER });
    await harness.send('first');
    await waitFor('the first answer', () => textsIn(harness, 'D1').length === 1);
    expect(textsIn(harness, 'D1')).toEqual([ANSWER]);
    // The budget is what the first answer used, plus one token: the day's budget is spent.
    const limit = (await usedTokens(harness, aria.id)) + 1;
    await setBudget(harness, aria.id, limit, owner.id);

    await harness.send('second');
    await waitFor('the notice', () => textsIn(harness, 'D1').length === 2);
    expect(textsIn(harness, 'D1')[1]).toBe("Aria has used today's budget; back at 00:00 UTC.");
    expect(harness.adapter.directMessages).toHaveLength(1);
    expect(harness.adapter.directMessages[0]).toMatchObject({ userId: 'UOWNER' });
    expect(harness.adapter.directMessages[0]?.text).toContain(`daily budget (${limit} tokens/day)`);

    await harness.send('third');
    await waitFor('the third message closed without an answer', async () => {
      const waiting = await harness.db.message.count({ where: { pendingAgentId: aria.id } });
      const job = await harness.db.job.findFirst({
        where: { agentId: aria.id, error: { contains: 'notice already posted' } },
      });
      return waiting === 0 && job !== null;
    });
    expect(textsIn(harness, 'D1')).toHaveLength(2);
    expect(harness.adapter.directMessages).toHaveLength(1);
    expect(harness.gemini.requests).toHaveLength(1);

    // /agent show: the notice is not counted as a failed reply; the budget is spent.
    const session = { db: harness.db, config: harness.config } as unknown as Session;
    const stats = Object.fromEntries(
      (await statsFields(session, { id: aria.id, budget: { dailyTokens: limit } })).map((f) => [
        f.label,
        f.value,
      ]),
    );
    expect(stats['Last 24 hours']).toMatch(
      /^1 reply, 100% succeeded \(0 failed\), p50 \d+\.\d s, p95 \d+\.\d s, \d+ tokens, \$0\.\d{4} USD, 1 conversation$/,
    );
    expect(stats['Budget left']).toBe(`1 of ${limit} tokens today`);
    expect(stats.Queued).toBe('0 messages waiting');

    // The once-per-window marks end with the window: the next day gets a notice (and a DM) again.
    const day = windowOf('day', Date.now());
    const marks = await harness.pipeline.redis.keys(`${harness.prefix}:budget-once:*`);
    expect(marks).toHaveLength(2);
    for (const mark of marks) {
      expect(await harness.pipeline.redis.pexpiretime(mark)).toBe(day.end);
    }
  });

  it('counters lost from Redis are rebuilt from the stored usage: the budget stays spent', async () => {
    h = await startHarness(t.current, ENV);
    const harness = h;
    const aria = await harness.createAgent('Aria');
    harness.gemini.setDefault({ text: ANSWER });
    await harness.send('first');
    await waitFor('the first answer', () => textsIn(harness, 'D1').length === 1);
    await setBudget(harness, aria.id, (await usedTokens(harness, aria.id)) + 1);
    // Counted while there was no budget: the counters do not exist yet, the seed finds the answer.

    await harness.pipeline.redis.del(
      budgetKey(harness.prefix, { scope: 'agent', id: aria.id, period: 'day' }),
    );
    await harness.send('second');
    await waitFor('the notice', () => textsIn(harness, 'D1').length === 2);
    expect(textsIn(harness, 'D1')[1]).toContain("has used today's budget");
    expect(harness.gemini.requests).toHaveLength(1);
  });
});
