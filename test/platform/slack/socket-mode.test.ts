/**
 * Socket Mode: the real Bolt SocketModeReceiver (its socket-mode client) against a local WebSocket
 * endpoint. Envelopes are acked only after the message is stored; a redelivery is processed once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directMessage, eventCallback, slashCommand } from '../../fakes/slack-events.ts';
import { type FakeSlackSocket, startFakeSlackSocket } from '../../fakes/slack-socket.ts';
import { useTestDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/wait-for.ts';
import { type SlackHarness, startSlackHarness } from './slack-harness.ts';

describe('slack over Socket Mode', () => {
  const database = useTestDatabase('sqlite');
  let socket: FakeSlackSocket;
  let h: SlackHarness;

  beforeAll(async () => {
    socket = await startFakeSlackSocket();
    h = await startSlackHarness(database.current, { socketUrl: socket.url });
    await socket.connected();
    await h.createAgent('Aria');
  });
  afterAll(async () => {
    await h?.close();
    await socket?.close();
  });

  it('connects with the app token', () => {
    expect(h.adapter.mode).toBe('socket');
    const [open] = h.slack.callsTo('apps.connections.open');
    expect(open?.token).toBe(h.slack.appToken);
  });

  it('acks an event after it was stored, replies once, and processes a redelivery once', async () => {
    const event = directMessage({ user: 'UANA', text: 'over the socket', channel: 'D0SOCK' });
    const body = eventCallback(h.teamId, event, { eventId: 'EvSOCK1' });
    const envelope = socket.send('events_api', body);
    const [ack] = await socket.waitForAcks(1);
    expect(ack?.envelope_id).toBe(envelope);
    const storedAt = h.storedAt.get(event.ts);
    expect(storedAt).toBeDefined();
    expect(ack?.at).toBeGreaterThanOrEqual(storedAt ?? Number.POSITIVE_INFINITY);

    const [post] = await h.slack.waitForCalls('chat.postMessage', 1);
    expect(post?.params).toMatchObject({ channel: 'D0SOCK', username: 'Aria' });

    socket.send('events_api', body, { attempt: 1, reason: 'timeout' });
    await socket.waitForAcks(2);
    await waitFor('the signal cleared', () => h.adapter.activeSignals() === 0);
    expect(await h.db.message.count({ where: { platformEventId: 'EvSOCK1' } })).toBe(1);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('answers /agent through the envelope ack', async () => {
    const form = slashCommand({
      teamId: h.teamId,
      userId: 'UANA',
      channelId: 'C1',
      text: 'list',
      responseUrl: h.slack.responseUrl('s'),
    });
    const envelope = socket.send('slash_commands', form);
    const acks = await socket.waitForAcks(3);
    const ack = acks.find((a) => a.envelope_id === envelope);
    expect(ack?.payload).toMatchObject({ response_type: 'ephemeral', text: 'Done: list.' });
  });
});
