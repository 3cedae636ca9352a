/**
 * A message the service cannot take right now (database or Redis down, overloaded) is tried again:
 * the gateway never sends it twice. In its channel's order, bounded in tries and in how many wait.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/test-database.ts';
import { type DiscordHarness, type HarnessOptions, startDiscordHarness, waitFor } from './harness.ts';

const t = useTestDatabase('sqlite');
let h: DiscordHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(ingest: NonNullable<HarnessOptions['adapter']>['ingest'] = {}) {
  h = await startDiscordHarness(t.current, { adapter: { ingest: { baseDelayMs: 30, ...ingest } } });
  return h;
}

const givingUp = (logs: string[]) => logs.filter((line) => line.includes('giving up'));

describe('discord ingest retries', () => {
  it('failing twice, then taken: the message is handled once and answered once', async () => {
    const h = await harness();
    const { discord } = h;
    const nova = await h.createAgent('Nova', { join: [discord.general.id] });
    h.failInbound(2);

    const asked = discord.say({
      author: discord.ana,
      content: `<@${discord.bot.id}> Nova are you there?`,
      mentions: [discord.bot],
    });
    await waitFor('the reply', () => h?.delivered(nova));

    expect(
      h.outcomes.filter((o) => o.message.platformMessageId === asked.id).map((o) => o.outcome.status),
    ).toEqual(['scheduled']);
    expect(await h.db.message.count({ where: { platformMessageId: String(asked.id) } })).toBe(1);
    const ours = discord.rest.channelMessages(discord.general.id).filter((m) => m.webhook_id);
    expect(ours).toHaveLength(1);
    expect(String(ours[0]?.content)).toContain(String(asked.id));
    expect(givingUp(h.logs)).toEqual([]);
  });

  it('what comes after in the channel waits for it: messages and edits keep their order', async () => {
    const h = await harness({ baseDelayMs: 1_000 });
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });

    const first = discord.say({ author: discord.ana, content: 'first' });
    h.failInbound(2, (m) => m.platformMessageId === first.id);
    const second = discord.say({ author: discord.ben, content: 'second' });
    discord.edit(first, 'first, edited');
    const elsewhere = discord.say({ channel: discord.thread, author: discord.ben, content: 'meanwhile' });

    // Another channel does not wait: stored while the first message is still being tried.
    await waitFor('the other channel', () => h?.outcomeOf(elsewhere));
    expect(h.outcomeOf(first)).toBeUndefined();
    expect(h.outcomeOf(second)).toBeUndefined();
    await waitFor('both stored', () => h?.outcomeOf(second));
    const order = h.outcomes.map((o) => o.message.platformMessageId);
    expect(order.indexOf(String(first.id))).toBeLessThan(order.indexOf(String(second.id)));
    const rows = await h.db.message.findMany({
      where: { platformMessageId: { in: [String(first.id), String(second.id)] } },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((r) => [r.platformMessageId, r.content])).toEqual([
      [first.id, 'first, edited'],
      [second.id, 'second'],
    ]);
  });

  it('given up after its tries: one log line, not one per try', async () => {
    const h = await harness({ attempts: 3, baseDelayMs: 10 });
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });
    h.failInbound(3);

    const lost = discord.say({ author: discord.ana, content: 'into the void' });
    await waitFor('the give-up', () => givingUp(h?.logs ?? []).length > 0);

    const [line] = givingUp(h.logs);
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      msg: 'discord message not stored: giving up (the next catch-up reads it again)',
      messageId: lost.id,
      channelId: discord.general.id,
      reason: '3 attempts failed',
    });
    expect(h.logs.filter((l) => l.includes(String(lost.id)))).toHaveLength(1);
    expect(h.outcomeOf(lost)).toBeUndefined();
  });

  it('at most maxPending wait: those beyond are given up at once (one log line), then read again once the service is back', async () => {
    const h = await harness({ attempts: 4, baseDelayMs: 100, maxPending: 2 });
    const { discord } = h;
    await h.createAgent('Nova', { join: [discord.general.id] });
    h.failInbound(3);

    const waiting = [
      discord.say({ author: discord.ana, content: 'one' }),
      discord.say({ author: discord.ana, content: 'two' }),
    ];
    const beyond = [
      discord.say({ author: discord.ben, content: 'three' }),
      discord.say({ author: discord.ben, content: 'four' }),
    ];
    await waitFor('the overflow', () => h?.logs.some((l) => l.includes('too many waiting')));
    expect(beyond.map((m) => h?.outcomeOf(m))).toEqual([undefined, undefined]);

    // The first message taken shows the service is back: the channel is read from the given-up ones.
    await waitFor('all stored', () => [...waiting, ...beyond].every((m) => h?.outcomeOf(m)));
    const order = h.outcomes.map((o) => o.message.platformMessageId);
    expect(order.slice(0, 4)).toEqual([...waiting, ...beyond].map((m) => m.id));
    const overflow = h.logs.filter((l) => l.includes('too many waiting'));
    expect(overflow).toHaveLength(1);
    expect(JSON.parse(overflow[0] ?? '{}')).toMatchObject({ messageId: beyond[0]?.id, waiting: 2 });
  });
});
