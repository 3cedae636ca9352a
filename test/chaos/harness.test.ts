/**
 * The crash test and bench:slack judge the service by what these pieces report, so they are
 * checked on their own: the lean fake Slack Web API as the real @slack/web-api client sees it, the
 * Slack-style sender (signature, 3 s limit, retry headers) and the flaky model's schedule.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi } from '@slack/bolt';
import { afterAll, describe, expect, it } from 'vitest';
import { slackSignature } from '../fakes/slack-events.ts';
import { startLeanSlackApi } from '../fakes/slack-web-lean.ts';
import { freePort } from '../support/free-port.ts';
import { deliverLikeSlack } from '../support/slack-delivery.ts';
import { dmEvent, SignedEventSender } from '../support/slack-sender.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import { uniform } from './flaky-model.ts';

const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) server.closeAllConnections();
  for (const server of servers) server.close();
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A stand-in Request URL: checks the signature, answers the scripted statuses (default 200). */
async function requestUrl(secret: string, statuses: Array<number | 'hang'> = []) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const timestamp = Number(req.headers['x-slack-request-timestamp']);
      const valid = req.headers['x-slack-signature'] === slackSignature(secret, timestamp, body);
      const status = statuses.shift() ?? 200;
      if (status === 'hang') return;
      res.writeHead(valid ? status : 401).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/slack/events`, received };
}

describe('lean fake Slack Web API', () => {
  it('answers the real WebClient and records only posts made under an agent name as replies', async () => {
    const slack = await startLeanSlackApi({ teamId: 'TLEAN' });
    const client = new webApi.WebClient(slack.token, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    try {
      const auth = await client.auth.test();
      expect(auth).toMatchObject({ ok: true, team_id: 'TLEAN', user_id: 'UBOT', bot_id: 'BBOT' });
      const user = await client.users.info({ user: 'U1' });
      expect(user.user?.profile?.display_name).toBe('user-u1');
      await client.assistant.threads.setStatus({
        channel_id: 'D1',
        thread_ts: '1.1',
        status: 'is thinking…',
      });
      await client.reactions.add({ channel: 'D1', timestamp: '1.1', name: 'eyes' });
      const first = await client.chat.postMessage({
        channel: 'D1',
        text: 'hello',
        username: 'Aria',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }],
      });
      await client.chat.postMessage({ channel: 'D1', text: 'a notice' });
      expect(first).toMatchObject({ ok: true, channel: 'D1', message: { text: 'hello', username: 'Aria' } });
      expect(slack.agentPostCount('D1')).toBe(1);
      expect(slack.agentPosts.get('D1')?.[0]).toMatchObject({ text: 'hello', username: 'Aria' });
      expect(slack.botPosts.map((p) => p.text)).toEqual(['a notice']);
      expect(slack.postsIn('D1')).toHaveLength(2);
      const history = await client.conversations.history({ channel: 'D1' });
      expect(history.messages?.map((m) => m.text)).toEqual(['a notice', 'hello']);
      expect(slack.calls.get('assistant.threads.setStatus')).toBe(1);

      // Edits keep the post (and its arrival time); a deleted post no longer counts.
      const tagged = await client.chat.postMessage({
        channel: 'D3',
        text: 'draft',
        username: 'Aria',
        metadata: { event_type: 'agent_reply', event_payload: { reply: 7 } },
      });
      await client.chat.update({ channel: 'D3', ts: tagged.ts as string, text: 'final' });
      expect(slack.agentPosts.get('D3')?.map((p) => [p.text, p.edits])).toEqual([['final', 1]]);
      const [mine] =
        (await client.conversations.history({ channel: 'D3', oldest: '0', limit: 1 })).messages ?? [];
      expect(mine).toMatchObject({
        text: 'final',
        metadata: { event_type: 'agent_reply', event_payload: { reply: 7 } },
      });
      expect(
        (await client.conversations.history({ channel: 'D3', oldest: tagged.ts as string })).messages,
      ).toEqual([]);
      const again = await client.chat.postMessage({ channel: 'D3', text: 'oops', username: 'Aria' });
      await client.chat.delete({ channel: 'D3', ts: again.ts as string });
      expect(slack.agentPostCount('D3')).toBe(1);
      expect(slack.deleted.map((p) => p.text)).toEqual(['oops']);

      const stranger = new webApi.WebClient('xoxb-wrong', {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 0 },
      });
      await expect(stranger.chat.postMessage({ channel: 'D2', text: 'x', username: 'Aria' })).rejects.toThrow(
        /invalid_auth/,
      );
      expect(slack.agentPostCount('D2')).toBe(0);
      expect(slack.authFailures).toBe(1);
    } finally {
      await slack.close();
    }
  });
});

describe('Slack-style sender', () => {
  it('signs like Slack, and a DM event has its own channel, user, ts and event id', async () => {
    const secret = TEST_SECRETS.senderSigningSecret;
    const target = await requestUrl(secret);
    const sender = new SignedEventSender({ url: target.url, secret });
    const dm = dmEvent({ teamId: 'T1', n: 42, tag: 'Z', text: 'hi' });
    const outcome = await sender.post(dm.body);
    sender.close();
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    const body = JSON.parse(target.received[0]?.body ?? '{}');
    expect(body).toMatchObject({
      type: 'event_callback',
      team_id: 'T1',
      api_app_id: 'AFAKEAPP',
      event_id: dm.eventId,
      event: {
        type: 'message',
        channel_type: 'im',
        channel: dm.channel,
        user: dm.user,
        ts: dm.ts,
        text: 'hi',
      },
    });
    expect(dm.channel).toMatch(/^D[A-Z0-9]+$/);
    expect(dmEvent({ teamId: 'T1', n: 43, tag: 'Z', text: 'hi' }).channel).not.toBe(dm.channel);
  });

  it('gives up after the limit (http_timeout), reports refused connections, and retries with retry headers', async () => {
    const secret = TEST_SECRETS.senderSigningSecret;
    const slow = await requestUrl(secret, ['hang']);
    const sender = new SignedEventSender({ url: slow.url, secret, timeoutMs: 200 });
    expect(await sender.post('{}')).toMatchObject({ ok: false, reason: 'http_timeout' });
    sender.close();

    const closed = new SignedEventSender({
      url: `http://127.0.0.1:${await freePort()}/slack/events`,
      secret,
    });
    expect(await closed.post('{}')).toMatchObject({
      ok: false,
      reason: 'connection_failed',
      code: 'ECONNREFUSED',
    });
    closed.close();

    const flaky = await requestUrl(secret, [500, 503]);
    const retrying = new SignedEventSender({ url: flaky.url, secret });
    const delivery = deliverLikeSlack(retrying, '{"type":"event_callback"}', [10, 10, 10]);
    await delivery.done;
    retrying.close();
    expect(delivery.acked).toBe(true);
    expect(delivery.attempts.map((a) => a.status)).toEqual([500, 503, 200]);
    expect(
      flaky.received.map((r) => [r.headers['x-slack-retry-num'], r.headers['x-slack-retry-reason']]),
    ).toEqual([
      [undefined, undefined],
      ['1', 'http_error'],
      ['2', 'http_error'],
    ]);
    // The same body every time (same event_id), freshly signed.
    expect(new Set(flaky.received.map((r) => r.body)).size).toBe(1);
  });
});

describe('flaky model schedule', () => {
  it('is deterministic per key and close to the asked rates', () => {
    expect(uniform('7:chaos message 1 end:0')).toBe(uniform('7:chaos message 1 end:0'));
    let failed = 0;
    let hung = 0;
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const draw = uniform(`7:chaos message ${i} end:${i % 3}`);
      if (draw < 0.1) failed += 1;
      else if (draw < 0.15) hung += 1;
    }
    expect(failed / draws).toBeCloseTo(0.1, 1);
    expect(hung / draws).toBeGreaterThan(0.04);
    expect(hung / draws).toBeLessThan(0.06);
  });
});
