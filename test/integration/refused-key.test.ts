// A provider that refuses its key fails the reply at once (no retry can fix a key) and tells the
// agent's owner by DM, once an hour per agent and model, without the key or the error's text.
import { afterEach, describe, expect, it } from 'vitest';
import { ensureUser } from '../../src/store/identities.ts';
import { type Harness, startHarness } from '../support/pipeline-harness.ts';
import { useTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('a refused provider key', () => {
  const t = useTestDatabase('sqlite');

  it('fails the reply after one call and DMs the owner once, however many replies fail', async () => {
    h = await startHarness(t.current, { DEBOUNCE_MS: '0', JOB_ATTEMPTS: '3' });
    const harness = h;
    const aria = await harness.createAgent('Aria');
    const owner = await ensureUser(harness.db, {
      platform: 'slack',
      externalId: 'UOWNER',
      displayName: 'Olga',
      isBot: false,
    });
    await harness.db.agent.update({ where: { id: aria.id }, data: { ownerId: owner.id } });
    harness.pipeline.directory.forgetChanges();
    harness.gemini.setDefault({
      status: 403,
      message: 'Permission denied: the key ending 9Qx7 was revoked.',
    });

    await harness.send('first question', { channelId: 'D1' });
    await harness.send('second question', { channelId: 'D2' });
    const failed = (channel: string) =>
      harness.adapter
        .replies()
        .filter((r) => r.channelId === channel && r.text === harness.config.failureMessage);
    await waitFor(
      'both conversations told the reply failed',
      () => failed('D1').length + failed('D2').length === 2,
    );

    // One model call per reply: a refused key is not retried.
    expect(harness.gemini.requests).toHaveLength(2);
    expect(harness.adapter.directMessages).toHaveLength(1);
    const dm = harness.adapter.directMessages[0];
    expect(dm).toMatchObject({ userId: 'UOWNER' });
    expect(dm?.text).toContain('Aria could not answer: the model provider refused its API key');
    expect(dm?.text).toContain('(HTTP 403)');
    expect(dm?.text).not.toContain('9Qx7');
  });
});
