/**
 * SLACK_ALLOWED_TEAMS through the real Bolt app: events, slash commands and form submissions from
 * a team not on the list are acknowledged (200, empty) and nothing else happens: nothing stored,
 * nothing answered, no command run; the team is logged once. The listed team works as before.
 * And ALLOWED_MODELS at reply time: an agent whose stored model is no longer allowed answers with
 * the default model.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FORM_CALLBACK_ID } from '../../../src/adapters/slack/blocks.ts';
import {
  directMessage,
  eventCallback,
  postSigned,
  slashCommand,
  viewSubmission,
} from '../../fakes/slack-events.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { SIGNING_SECRET, type SlackHarness, startSlackHarness } from './slack-harness.ts';

const ALLOWED = 'T0ALLOWED';
const STRANGER = 'T0STRANGER';

describe('slack SLACK_ALLOWED_TEAMS', () => {
  const database = useTestDatabase('sqlite');
  let h: SlackHarness;

  beforeAll(async () => {
    h = await startSlackHarness(database.current, {
      teamId: ALLOWED,
      env: { SLACK_ALLOWED_TEAMS: `${ALLOWED},T0SISTER`, ALLOWED_MODELS: 'google:gemini-2.5-*' },
    });
    await h.createAgent('Aria', { role: 'mentor' });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    h.slack.reset();
    h.commands.length = 0;
  });

  const fromStranger = (event: Record<string, unknown>) =>
    postSigned(h.eventsUrl, SIGNING_SECRET, { json: eventCallback(STRANGER, event) });
  const ignoredLines = () =>
    h.logs.filter((line) => line.includes(STRANGER) && line.includes('not in SLACK_ALLOWED_TEAMS'));

  it('a DM from another team is acknowledged, stored nowhere, answered never, logged once', async () => {
    const first = await fromStranger(
      directMessage({ user: 'UEVE', text: 'hello?', channel: 'D0EVE', ts: '1.0001' }),
    );
    const second = await fromStranger(
      directMessage({ user: 'UEVE', text: 'anyone?', channel: 'D0EVE', ts: '1.0002' }),
    );
    expect([first.status, first.text, second.status, second.text]).toEqual([200, '', 200, '']);
    expect(await h.db.message.count({ where: { platformMessageId: { in: ['1.0001', '1.0002'] } } })).toBe(0);
    expect(await h.db.workspace.count({ where: { externalId: STRANGER } })).toBe(0);

    // The listed team is answered; by then the stranger's messages would have been too.
    await h.sendEvent(directMessage({ user: 'UANA', text: 'hi Aria', channel: 'D0ANA', ts: '1.0003' }));
    const posts = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(posts.map((post) => post.params.channel)).toEqual(['D0ANA']);
    expect(h.outcomes.map((o) => o.message.platformMessageId)).toEqual(['1.0003']);
    expect(h.gemini.requests).toHaveLength(1);
    expect(ignoredLines()).toHaveLength(1);
  });

  it('/agent from another team gets an empty acknowledgement and runs nothing', async () => {
    const answer = await h.sendForm(
      slashCommand({
        teamId: STRANGER,
        userId: 'UEVE',
        channelId: 'C0EVE',
        text: 'show Aria',
        responseUrl: h.slack.responseUrl('eve'),
      }),
    );
    expect(answer).toMatchObject({ status: 200, text: '' });
    const form = await h.sendForm(
      viewSubmission({
        teamId: STRANGER,
        userId: 'UEVE',
        callbackId: FORM_CALLBACK_ID,
        privateMetadata: JSON.stringify({
          verb: 'create',
          teamId: STRANGER,
          isDirect: false,
          channelId: 'C0EVE',
        }),
        values: { name: 'Eve' },
      }),
    );
    expect(form).toMatchObject({ status: 200, text: '' });
    expect(h.commands).toEqual([]);
    expect(h.slack.callsTo('views.open')).toEqual([]);

    const ours = await h.sendForm(
      slashCommand({
        teamId: ALLOWED,
        userId: 'UANA',
        channelId: 'C0A',
        text: 'list',
        responseUrl: h.slack.responseUrl('ana'),
      }),
    );
    expect(ours.status).toBe(200);
    expect(h.commands.map((c) => c.context.workspaceExternalId)).toEqual([ALLOWED]);
  });

  it('an agent whose model ALLOWED_MODELS no longer allows answers with the default model', async () => {
    h.gemini.reset();
    // Made before the operator narrowed ALLOWED_MODELS (the store takes any model).
    await h.createAgent('Legacy', { model: 'google:gemini-1.5-pro' });
    await h.pipeline.announceDirectoryChange();
    await h.sendEvent(
      directMessage({ user: 'UANA', text: 'Legacy: still there?', channel: 'D0LEGACY', ts: '2.0001' }),
    );
    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params.username).toBe('Legacy');
    expect(h.gemini.requests.map((r) => r.model)).toEqual(['gemini-2.5-flash']);
    expect(h.logs.filter((line) => line.includes('not in ALLOWED_MODELS'))).toHaveLength(1);
  });
});
