/**
 * Every recorded Slack payload in test/fixtures/slack/, replayed as Slack sends it: a signed Events
 * API request to our HTTP endpoint, through the real Bolt, into the real pipeline (fake Web API,
 * fake Gemini). What a user would notice is asserted: Slack got a 2xx within its 3 s, and the
 * fixture's `_expect` happened:
 *   reply     exactly one agent reply (posted as the agent) in the fixture's channel
 *   greeting  exactly one post by the bot itself (the assistant pane's greeting), no agent reply
 *   none      nothing posted, nothing scheduled (stored or skipped is fine)
 *   ack       only the 2xx: nothing posted
 *   challenge the url_verification challenge echoed
 * The fixture's team and channel become the harness's team and a fresh channel (Aria joined to it
 * when it is a channel), its `_bot` id our bot user: so a reply case can really reply.
 * A new fixture is a new file in the folder, not new code here.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventId, postSigned } from '../../fakes/slack-events.ts';
import { type Fixture, loadFixtures, rebind } from '../../fixtures/load.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/wait-for.ts';
import { SIGNING_SECRET, type SlackHarness, startSlackHarness } from './slack-harness.ts';

/** Slack's own deadline for the acknowledgement. */
const SLACK_ACK_DEADLINE_MS = 3000;
const fixtures = loadFixtures('slack');

const freshId = (prefix: string) => `${prefix}${randomBytes(5).toString('hex').toUpperCase()}`;

describe('slack fixtures replayed through the real receiver', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;
  let aria: { id: string; name: string };

  beforeAll(async () => {
    h = await startSlackHarness(database.current);
    aria = await h.createAgent('Aria', { role: 'helper', avatarUrl: 'https://example.com/aria.png' });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.slack.reset();
    h.gemini.reset();
  });

  /** The fixture bound to the harness: our team, a fresh channel, our bot, a fresh event id. */
  function bind(fixture: Fixture): { body: Record<string, unknown>; channel: string | undefined } {
    const meta = fixture.meta;
    const fromChannel = typeof meta._channel === 'string' ? meta._channel : undefined;
    const channel = fromChannel ? freshId(fromChannel.slice(0, 1)) : undefined;
    const ids: Record<string, string> = {};
    if (typeof fixture.payload.team_id === 'string') ids[fixture.payload.team_id] = h.teamId;
    if (fromChannel && channel) ids[fromChannel] = channel;
    if (typeof meta._bot === 'string') ids[meta._bot] = h.slack.bot.userId;
    const body = rebind(fixture.payload, ids);
    if (typeof body.event_id === 'string') body.event_id = eventId();
    return { body, channel };
  }

  /**
   * Waits until everything sent before has been worked through: a person's DM in a channel of its
   * own is answered (its reply job queued behind anything the fixture scheduled), and no working
   * signal is left on. Returns that DM's channel, so its reply can be told apart.
   */
  async function settle(): Promise<string> {
    const channel = freshId('D');
    const answer = await h.sendEvent({
      type: 'message',
      channel_type: 'im',
      channel,
      user: 'UANA',
      text: 'sentinel',
      ts: `${Math.floor(Date.now() / 1000)}.${randomBytes(3).readUIntBE(0, 3) % 1_000_000}`,
    });
    expect(answer.status).toBe(200);
    await waitFor('the sentinel answered', () =>
      h.slack.callsTo('chat.postMessage').some((c) => c.params.channel === channel),
    );
    await waitFor('every working signal cleared', () => h.adapter.activeSignals() === 0);
    return channel;
  }

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    const { body, channel } = bind(fixture);
    if (channel && (channel.startsWith('C') || channel.startsWith('G'))) await h.join(aria.id, channel);

    const started = Date.now();
    const answer = await postSigned(h.eventsUrl, SIGNING_SECRET, { json: body });
    const took = Date.now() - started;
    expect.soft(answer.status, `${fixture.name}: Slack's view of our answer`).toBeGreaterThanOrEqual(200);
    expect.soft(answer.status, `${fixture.name}: Slack's view of our answer`).toBeLessThan(300);
    expect.soft(took, `${fixture.name}: ms until Slack got its answer`).toBeLessThan(SLACK_ACK_DEADLINE_MS);

    if (fixture.expect === 'challenge') {
      expect(answer.json()).toEqual({ challenge: body.challenge });
      return;
    }
    const sentinel = await settle();
    const posts = h.slack.callsTo('chat.postMessage').filter((c) => c.params.channel !== sentinel);
    const scheduled = h.outcomes.filter(
      (o) => o.message.channelId === channel && o.outcome.status === 'scheduled',
    );

    switch (fixture.expect) {
      case 'reply': {
        // Channel replies go in the thread of the message; a DM's, in its thread if it has one.
        const event = (body.event ?? {}) as { ts?: string; thread_ts?: string };
        const inChannel = channel?.startsWith('C') || channel?.startsWith('G');
        const thread = event.thread_ts ?? (inChannel ? event.ts : undefined);
        expect(posts.map((p) => p.params)).toEqual([
          expect.objectContaining({ channel, username: aria.name, ...(thread && { thread_ts: thread }) }),
        ]);
        expect(scheduled).toHaveLength(1);
        break;
      }
      case 'greeting':
        expect(posts).toHaveLength(1);
        expect(posts[0]?.params).toMatchObject({ channel });
        expect(posts[0]?.params.username).toBeUndefined();
        expect(scheduled).toEqual([]);
        break;
      case 'none':
      case 'ack':
        expect(posts.map((p) => p.params)).toEqual([]);
        expect(scheduled).toEqual([]);
        break;
      default:
        throw new Error(`${fixture.name}: unknown _expect ${fixture.expect}`);
    }
  });
});
