/**
 * What Slack sends besides messages, answered as its docs say: `app_rate_limited` and requests
 * nothing handles are acknowledged at once (never left to Bolt's 3 s timeout, which Slack counts as
 * a failed delivery); Slackbot is never answered; an uninstall ends what waited in the workspace,
 * stops the typing signal and posts nothing more there until the app is back.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { futureTimestampProblem } from '../../../src/adapters/slack/receiver.ts';
import { directMessage, postSigned } from '../../fakes/slack-events.ts';
import { providers, useTestDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/wait-for.ts';
import { SIGNING_SECRET, type SlackHarness, startSlackHarness } from './slack-harness.ts';

let dmCounter = 0;
const newDm = () => `D${Date.now().toString(36).toUpperCase()}${++dmCounter}`;

describe.each(providers)('slack notices (%s)', (provider) => {
  const database = useTestDatabase(provider);
  let h: SlackHarness;

  beforeAll(async () => {
    // A debounce long enough to catch a reply job while it still waits in the queue.
    h = await startSlackHarness(database.current, { env: { DEBOUNCE_MS: '600' } });
    await h.createAgent('Aria');
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.slack.reset();
    h.gemini.reset();
  });

  const posts = () => h.slack.callsTo('chat.postMessage');
  /** Status calls (set and clear) in one channel: a previous test's clear may land late elsewhere. */
  const statusCalls = (channel: string) =>
    h.slack.callsTo('assistant.threads.setStatus').filter((call) => call.params.channel_id === channel)
      .length;
  const stored = (ts: string) => h.db.message.findFirst({ where: { platformMessageId: ts } });

  it('app_rate_limited (no inner event) is answered 200 at once and counted', async () => {
    const started = performance.now();
    const answer = await postSigned(h.eventsUrl, SIGNING_SECRET, {
      json: {
        token: 'verification-token-unused',
        type: 'app_rate_limited',
        team_id: h.teamId,
        minute_rate_limited: 1518467820,
        api_app_id: 'AFAKEAPP',
      },
    });
    expect(answer.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(h.notices).toContainEqual({ platform: 'slack', kind: 'app_rate_limited' });
    expect(posts()).toEqual([]);
  });

  it('an envelope type nobody knows yet, and an event type nothing listens to, are acknowledged', async () => {
    const future = await postSigned(h.eventsUrl, SIGNING_SECRET, {
      json: { token: 't', type: 'some_future_envelope', team_id: h.teamId },
    });
    expect(future.status).toBe(200);
    const reaction = await h.sendEvent({
      type: 'reaction_added',
      user: 'UANA',
      reaction: 'thumbsup',
      item: { type: 'message', channel: 'C0NOTICE', ts: '1700000000.000100' },
      item_user: 'UANA',
      event_ts: '1700000001.000200',
    });
    expect(reaction.status).toBe(200);
    expect(posts()).toEqual([]);
  });

  it("Slackbot's DM is stored, never answered: no model call, no typing signal", async () => {
    const notice = directMessage({
      user: 'USLACKBOT',
      text: 'You have been removed from #testing by <@UADMIN>',
      channel: newDm(),
    });
    const answer = await h.sendEvent(notice);
    expect(answer.status).toBe(200);
    expect(await stored(notice.ts)).not.toBeNull();
    // A person's DM in another channel after it: once that one is answered, Slackbot's had its turn.
    const person = directMessage({ user: 'UANA', text: 'hi Aria', channel: newDm() });
    await h.sendEvent(person);
    await waitFor('the person answered', () => posts().length === 1);
    expect(posts().map((call) => call.params.channel)).toEqual([person.channel]);
    expect(h.gemini.requests).toHaveLength(1);
    // Set, then cleared after the post: the person's channel only.
    await waitFor('the status cleared', () => statusCalls(person.channel) === 2);
    expect(statusCalls(notice.channel)).toBe(0);
  });

  it('app_uninstalled ends the waiting reply (failed: uninstalled), stops typing, and a reinstall answers again', async () => {
    const waiting = directMessage({ user: 'UANA', text: 'are you there?', channel: newDm() });
    expect((await h.sendEvent(waiting)).status).toBe(200);
    await waitFor('the typing signal shown', () => statusCalls(waiting.channel) === 1);

    const removed = await h.sendEvent({ type: 'app_uninstalled' });
    expect(removed.status).toBe(200);
    const workspace = await h.db.workspace.findFirst({ where: { platform: 'slack', externalId: h.teamId } });
    expect(workspace?.uninstalledAt).not.toBeNull();

    await waitFor('the reply job ended as failed: uninstalled', () =>
      h.db.job.findFirst({ where: { status: 'failed', error: 'uninstalled' } }),
    );
    await waitFor('its queue empty', async () => {
      const counts = await h.pipeline.queues.replies.getJobCounts('waiting', 'delayed', 'active');
      return Object.values(counts).every((n) => n === 0);
    });
    expect(h.gemini.requests).toHaveLength(0);
    expect(posts()).toEqual([]);
    expect(statusCalls(waiting.channel)).toBe(1); // never cleared through a revoked token
    expect((await stored(waiting.ts))?.pendingAgentId).toBeNull();

    // Reinstalled: Slack sends events again, and they are answered.
    const back = directMessage({ user: 'UANA', text: 'hello again', channel: newDm() });
    expect((await h.sendEvent(back)).status).toBe(200);
    await waitFor('the reply after the reinstall', () => posts().length === 1);
    expect(posts()[0]?.params.channel).toBe(back.channel);
    const again = await h.db.workspace.findFirst({ where: { platform: 'slack', externalId: h.teamId } });
    expect(again?.uninstalledAt).toBeNull();
  });

  it('tokens_revoked for the bot token counts as removed; for user tokens alone it changes nothing', async () => {
    const users = await h.sendEvent({ type: 'tokens_revoked', tokens: { oauth: ['UANA'], bot: [] } });
    expect(users.status).toBe(200);
    const still = await h.db.workspace.findFirst({ where: { platform: 'slack', externalId: h.teamId } });
    expect(still?.uninstalledAt).toBeNull();

    const bot = await h.sendEvent({ type: 'tokens_revoked', tokens: { bot: [h.slack.bot.userId] } });
    expect(bot.status).toBe(200);
    const removed = await h.db.workspace.findFirst({ where: { platform: 'slack', externalId: h.teamId } });
    expect(removed?.uninstalledAt).not.toBeNull();
  });
});

describe('futureTimestampProblem', () => {
  const now = 1_800_000_000;
  it.each([
    ['missing: Bolt refuses it', undefined, undefined],
    ['now', String(now), undefined],
    ['an old one: Bolt refuses it', String(now - 3600), undefined],
    ['5 minutes ahead', String(now + 300), undefined],
    ['more than 5 minutes ahead', String(now + 301), 'the request timestamp is in the future'],
    ['Infinity', 'Infinity', 'the request timestamp is not a whole number of seconds'],
    ['NaN', 'NaN', 'the request timestamp is not a whole number of seconds'],
    ['a fraction', `${now}.5`, 'the request timestamp is not a whole number of seconds'],
  ])('%s', (_name, header, expected) => {
    expect(futureTimestampProblem(header, now)).toBe(expected);
  });
});
