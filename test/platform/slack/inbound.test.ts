import { describe, expect, it } from 'vitest';
import {
  mentionedUserIds,
  type SlackMessageEvent,
  translateEvent,
} from '../../../src/adapters/slack/inbound.ts';
import { loadFixtures } from '../../fixtures/load.ts';

const bot = { userId: 'UBOT', botId: 'BBOT', name: 'agent-bridge' };
const envelope = { teamId: 'T1', eventId: 'Ev1' };
const translate = (event: SlackMessageEvent, name?: string) => translateEvent(event, envelope, bot, name);

describe('translateEvent', () => {
  it('keeps the files of a file_share as descriptors (the recorded doc and Slack Connect events)', () => {
    const fixture = (name: string): SlackMessageEvent => {
      const found = loadFixtures('slack').find((f) => f.name === name);
      if (!found) throw new Error(`no fixture ${name}`);
      return (found.payload as { event: SlackMessageEvent }).event;
    };
    const shared = translate(fixture('file-share-im'));
    expect(shared.kind === 'inbound' && shared.message.attachments).toEqual([
      {
        name: 'ghostrap.png',
        mimetype: 'image/png',
        size: 196920,
        url: 'https://files.slack.com/files-pri/T061EG9R6-F0RDC39U1/download/ghostrap.png',
        id: 'F0RDC39U1',
      },
    ]);
    expect(shared.kind === 'inbound' && shared.message.text).toBe('We got one!');
    // A file from another organisation: its id only, nothing to download.
    const connect = translate(fixture('file-share-slack-connect'));
    expect(connect.kind === 'inbound' && connect.message.attachments).toEqual([
      { name: 'F123ABC456', id: 'F123ABC456' },
    ]);
  });

  it('turns a DM into a direct InboundMessage with the event id', () => {
    const result = translate({
      type: 'message',
      channel_type: 'im',
      channel: 'D1',
      user: 'U1',
      text: 'hi &lt;3 &amp; more',
      ts: '1700000000.000100',
    });
    expect(result).toEqual({
      kind: 'inbound',
      message: {
        platform: 'slack',
        workspaceId: 'T1',
        channelId: 'D1',
        isDirect: true,
        author: { id: 'U1', displayName: 'U1', isBot: false },
        text: 'hi <3 & more',
        mentionedUserIds: [],
        platformMessageId: '1700000000.000100',
        platformEventId: 'Ev1',
        sentAt: new Date(1_700_000_000_000),
      },
    });
  });

  it('fills mentions and the thread of an app_mention, and takes a looked-up name', () => {
    const result = translate(
      {
        type: 'app_mention',
        channel: 'C1',
        user: 'U1',
        text: '<@UBOT> Aria, ask <@U2|bo>',
        ts: '2.0',
        thread_ts: '1.0',
      },
      'Ana',
    );
    expect(result.kind === 'inbound' && result.message).toMatchObject({
      isDirect: false,
      threadId: '1.0',
      replyThreadId: '1.0',
      author: { id: 'U1', displayName: 'Ana' },
      mentionedUserIds: ['UBOT', 'U2'],
      text: '<@UBOT> Aria, ask <@U2|bo>',
    });
  });

  it('a channel message at the top level is answered in its own thread; a DM is answered in place', () => {
    const top = translate({ type: 'message', channel: 'C1', user: 'U1', text: 'hi all', ts: '3.0' });
    expect(top.kind === 'inbound' && top.message.replyThreadId).toBe('3.0');
    const dm = translate({
      type: 'message',
      channel: 'D1',
      channel_type: 'im',
      user: 'U1',
      text: 'hi',
      ts: '4.0',
    });
    expect(dm.kind === 'inbound' && dm.message.replyThreadId).toBeUndefined();
  });

  it.each<[string, SlackMessageEvent, string]>([
    [
      'our bot user',
      { type: 'message', channel: 'C1', user: 'UBOT', bot_id: 'BBOT', text: 'x', ts: '1' },
      'own_message',
    ],
    [
      'our bot id (legacy)',
      { type: 'message', subtype: 'bot_message', channel: 'C1', bot_id: 'BBOT', text: 'x', ts: '1' },
      'own_message',
    ],
    [
      'a join',
      { type: 'message', subtype: 'channel_join', channel: 'C1', user: 'U1', text: 'joined', ts: '1' },
      'subtype_channel_join',
    ],
    [
      'a topic change',
      { type: 'message', subtype: 'channel_topic', channel: 'C1', user: 'U1', text: 't', ts: '1' },
      'subtype_channel_topic',
    ],
    [
      "a person's mention as `message` (its app_mention twin carries it)",
      { type: 'message', channel_type: 'channel', channel: 'C1', user: 'U1', text: '<@UBOT> hi', ts: '1' },
      'app_mention_twin',
    ],
    ['no channel', { type: 'message', user: 'U1', text: 'x', ts: '1' }, 'no_channel'],
  ])('skips %s', (_name, event, reason) => {
    expect(translate(event)).toEqual({ kind: 'skip', reason });
  });

  it("keeps another app's bot message, as a bot with its bot id and name", () => {
    const result = translate({
      type: 'message',
      subtype: 'bot_message',
      channel: 'C1',
      bot_id: 'B9',
      username: 'CI',
      text: '<@UBOT> Aria: build failed',
      ts: '5.0',
    });
    expect(result.kind === 'inbound' && result.message.author).toEqual({
      id: 'B9',
      displayName: 'CI',
      isBot: true,
      botId: 'B9',
    });
  });

  it('keeps a DM that mentions the bot (no app_mention in DMs) and a thread broadcast', () => {
    expect(
      translate({
        type: 'message',
        channel_type: 'im',
        channel: 'D1',
        user: 'U1',
        text: '<@UBOT> hi',
        ts: '1',
      }).kind,
    ).toBe('inbound');
    const broadcast = translate({
      type: 'message',
      subtype: 'thread_broadcast',
      channel: 'C1',
      user: 'U1',
      text: 'also here',
      ts: '2',
      thread_ts: '1',
    });
    expect(broadcast.kind === 'inbound' && broadcast.message.threadId).toBe('1');
  });

  it('treats a thread parent (thread_ts === ts) as top level', () => {
    const result = translate({
      type: 'message',
      channel: 'C1',
      user: 'U1',
      text: 'root',
      ts: '1',
      thread_ts: '1',
    });
    expect(result.kind === 'inbound' && result.message.threadId).toBeUndefined();
  });

  it('turns an edit into a change, and skips unfurls and edits of our own posts', () => {
    const edit = (message: SlackMessageEvent, previous?: SlackMessageEvent): SlackMessageEvent => ({
      type: 'message',
      subtype: 'message_changed',
      channel: 'C1',
      message,
      ...(previous && { previous_message: previous }),
    });
    expect(
      translate(
        edit(
          { type: 'message', user: 'U1', text: 'new &amp; better', ts: '3', thread_ts: '1' },
          { type: 'message', text: 'old', ts: '3' },
        ),
      ),
    ).toEqual({
      kind: 'change',
      change: {
        kind: 'edit',
        platform: 'slack',
        workspaceId: 'T1',
        channelId: 'C1',
        threadId: '1',
        platformMessageId: '3',
        text: 'new & better',
      },
    });
    expect(
      translate(
        edit(
          { type: 'message', user: 'U1', text: 'same', ts: '3' },
          { type: 'message', text: 'same', ts: '3' },
        ),
      ),
    ).toEqual({
      kind: 'skip',
      reason: 'text_unchanged',
    });
    expect(translate(edit({ type: 'message', user: 'UBOT', bot_id: 'BBOT', text: 'x', ts: '3' })).kind).toBe(
      'skip',
    );
  });

  it('turns a deletion into a change', () => {
    expect(
      translate({
        type: 'message',
        subtype: 'message_deleted',
        channel: 'C1',
        deleted_ts: '3',
        previous_message: { type: 'message', text: 'gone', ts: '3', thread_ts: '1' },
      }),
    ).toEqual({
      kind: 'change',
      change: {
        kind: 'delete',
        platform: 'slack',
        workspaceId: 'T1',
        channelId: 'C1',
        threadId: '1',
        platformMessageId: '3',
      },
    });
  });
});

describe('mentionedUserIds', () => {
  it.each([
    ['<@U1> and <@W2|ana> and <@U1>', ['U1', 'W2']],
    ['no mentions, an &lt;@U3&gt; typed as text', []],
    ['<#C1> <!here>', []],
  ])('%s', (text, ids) => {
    expect(mentionedUserIds(text)).toEqual(ids);
  });
});
