// A message stored on the hot path is never part of someone else's transaction: a command's
// transaction that rolls back cannot take an acknowledged message with it, and waiting for its lock
// never blocks the event loop. (On main before the hot store, Prisma's SQLite adapter ran every
// statement on one connection, so a message stored while a transaction was open joined it and was
// undone with it.)
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { providers, useTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

for (const provider of providers) {
  describe(`hot-path writes on ${provider}`, () => {
    const t = useTestDatabase(provider);
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('a message stored while another transaction is open survives that transaction rolling back', async () => {
      h = await startHarness(t.current);
      const harness = h;
      await harness.createAgent('Aria');
      // First use (connections, scripts, the model provider's schemas) out of the way: only the
      // wait is timed.
      await harness.send('warming up', { platformMessageId: `warm-${provider}` });
      await waitFor('the warm-up reply', () => harness.adapter.replies().length === 1);
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let opened!: () => void;
      const open = new Promise<void>((resolve) => {
        opened = resolve;
      });
      const doomed = harness.db
        .$transaction(
          async (tx) => {
            await tx.workspace.create({ data: { platform: 'slack', externalId: `rolled-back-${provider}` } });
            opened();
            await held;
            throw new Error('the command failed');
          },
          { timeout: 20_000 },
        )
        .catch((error: unknown) => error);
      await open;

      // Ticks while the message waits for the lock: the wait never blocks the event loop.
      let ticks = 0;
      const at: number[] = [];
      const t0 = performance.now();
      const ticker = setInterval(() => {
        ticks += 1;
        at.push(Math.round(performance.now() - t0));
      }, 5);
      const stored = harness.send('stored before its ack', { platformMessageId: `iso-${provider}` });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const ticksWhileWaiting = ticks;
      release();
      const outcome = await stored;
      clearInterval(ticker);

      expect(await doomed).toBeInstanceOf(Error);
      expect(outcome).toMatchObject({ status: 'scheduled' });
      expect(await harness.db.workspace.count({ where: { externalId: `rolled-back-${provider}` } })).toBe(0);
      const message = await harness.db.message.findFirst({ where: { platformMessageId: `iso-${provider}` } });
      expect(message?.content).toBe('stored before its ack');
      expect(ticksWhileWaiting, at.join(',')).toBeGreaterThan(5);
    });
  });
}
