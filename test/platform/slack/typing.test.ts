/** The working signal against the fake Web API: setStatus, the eyes fallback, sharing, clearing. */
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackTyping } from '../../../src/adapters/slack/typing.ts';
import { type FakeSlackApi, startFakeSlackApi } from '../../fakes/slack-api.ts';
import { testLogger } from '../../support/test-log.ts';

describe('SlackTyping', () => {
  let slack: FakeSlackApi;
  let client: webApi.WebClient;
  const logger = testLogger();

  beforeAll(async () => {
    slack = await startFakeSlackApi();
    client = new webApi.WebClient(slack.token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterAll(() => slack.close());
  beforeEach(() => slack.reset());

  const methods = () =>
    slack.calls.map((c) => `${c.method}${'status' in c.params ? `:${c.params.status}` : ''}`);
  const target = {
    channelId: 'C1',
    threadId: '1.0',
    isDirect: false,
    workspaceId: 'T1',
    triggerPlatformMessageId: '1.0',
  };

  it('shows the status once for two users of one thread and clears it after the last', async () => {
    const typing = new SlackTyping(client, logger);
    await typing.start(target);
    await typing.start(target);
    await typing.stop(target);
    expect(methods()).toEqual(['assistant.threads.setStatus:is thinking…']);
    await typing.stop(target);
    expect(methods()).toEqual(['assistant.threads.setStatus:is thinking…', 'assistant.threads.setStatus:']);
    expect(typing.active()).toBe(0);
  });

  it('after a missing scope, goes straight to the reaction', async () => {
    const typing = new SlackTyping(client, logger);
    slack.enqueue('assistant.threads.setStatus', { error: 'missing_scope' });
    await typing.start(target);
    await typing.stop(target);
    await typing.start({ ...target, threadId: '2.0', triggerPlatformMessageId: '2.0' });
    await typing.stop({ ...target, threadId: '2.0', triggerPlatformMessageId: '2.0' });
    expect(methods()).toEqual([
      'assistant.threads.setStatus:is thinking…',
      'reactions.add',
      'reactions.remove',
      'reactions.add',
      'reactions.remove',
    ]);
  });

  it('removes a reaction it finds already there, and shows nothing when both are refused', async () => {
    const typing = new SlackTyping(client, logger);
    slack.setDefault('assistant.threads.setStatus', { error: 'channel_not_found' });
    slack.enqueue('reactions.add', { error: 'already_reacted' });
    await typing.start(target);
    await typing.stop(target);
    expect(slack.callsTo('reactions.remove')).toHaveLength(1);
    slack.enqueue('reactions.add', { error: 'not_in_channel' });
    await typing.start(target);
    await typing.stop(target);
    expect(slack.callsTo('reactions.remove')).toHaveLength(1);
    expect(typing.active()).toBe(0);
  });
});
