/**
 * The lean fetch (undici request() + keep-alive) under the real WebClient, against the fake Web
 * API: everything WebClient reads from a response, its timeout (an AbortSignal), 429 handling,
 * non-200 answers, gzip bodies and multipart file uploads.
 */
import { gzipSync } from 'node:zlib';
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackFetch, type SlackFetch } from '../../../src/adapters/slack/fetch.ts';
import { type FakeSlackApi, startFakeSlackApi } from '../../fakes/slack-api.ts';

describe('slack lean fetch', () => {
  let slack: FakeSlackApi;
  let http: SlackFetch;

  beforeAll(async () => {
    slack = await startFakeSlackApi();
    http = createSlackFetch();
  });
  afterAll(async () => {
    await slack?.close();
    await http?.close();
  });
  beforeEach(() => slack.reset());

  const client = (options: webApi.WebClientOptions = {}) =>
    new webApi.WebClient(slack.token, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      fetch: http.fetch,
      ...options,
    });

  it('sends method, headers and body as given and returns what a fetch Response would', async () => {
    const response = await http.fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${slack.token}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'channel=C0FETCH&text=hi%20there',
    });
    expect(response).toMatchObject({
      ok: true,
      status: 200,
      statusText: 'OK',
      url: `${slack.apiUrl}chat.postMessage`,
    });
    expect(response.headers.get('Content-Type')).toBe('application/json; charset=UTF-8');
    expect(Object.fromEntries(response.headers.entries())).toMatchObject({
      'content-type': 'application/json; charset=UTF-8',
    });
    const body = (await response.json()) as { ok: boolean; ts: string };
    expect(body.ok).toBe(true);
    expect(slack.messages('C0FETCH')).toMatchObject([{ text: 'hi there', ts: body.ts }]);
  });

  it('posts through WebClient, objects as JSON form fields, headers read into response_metadata', async () => {
    const metadata = { event_type: 'agent_bridge_reply', event_payload: { key: 'reply-1', part: 0 } };
    const result = await client().chat.postMessage({ channel: 'C0WEB', text: 'hello', metadata });
    expect(result.ok).toBe(true);
    expect(slack.messages('C0WEB')).toMatchObject([{ ts: result.ts, text: 'hello', metadata }]);

    slack.enqueue('auth.test', {
      raw: {
        status: 200,
        headers: { 'content-type': 'application/json', 'x-oauth-scopes': 'chat:write, im:history' },
        body: JSON.stringify({ ok: true, user_id: 'UBOT' }),
      },
    });
    const auth = await client().auth.test();
    expect(auth.response_metadata?.scopes).toEqual(['chat:write', 'im:history']);
  });

  it('times out through the signal WebClient gives it, within the configured timeout', async () => {
    slack.enqueue('chat.postMessage', { hang: true });
    const started = Date.now();
    const failure = await client({ timeout: 300 })
      .chat.postMessage({ channel: 'C0SLOW', text: 'hello' })
      .catch((error: unknown) => error);
    const elapsed = Date.now() - started;
    expect(failure).toMatchObject({ code: 'slack_webapi_request_error', original: { name: 'TimeoutError' } });
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1500);
    // The pool still works afterwards.
    expect((await client().chat.postMessage({ channel: 'C0SLOW', text: 'again' })).ok).toBe(true);
  });

  it('rejects at once for a signal aborted before or during the request', async () => {
    const before = new AbortController();
    before.abort();
    await expect(
      http.fetch(`${slack.apiUrl}auth.test`, { method: 'POST', signal: before.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });

    slack.enqueue('auth.test', { hang: true });
    const during = new AbortController();
    const pending = http.fetch(`${slack.apiUrl}auth.test`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${slack.token}` },
      signal: during.signal,
    });
    await slack.waitForCalls('auth.test', 1);
    during.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('hands a non-200 answer to WebClient, which raises an HTTP error with status, text and body', async () => {
    slack.enqueue('chat.postMessage', { serverError: 503 });
    const failure = await client()
      .chat.postMessage({ channel: 'C0DOWN', text: 'hello' })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'slack_webapi_http_error',
      statusCode: 503,
      statusMessage: 'Service Unavailable',
      headers: expect.objectContaining({ 'content-type': 'application/json; charset=UTF-8' }),
      body: { ok: false, error: 'service_unavailable' },
    });
  });

  it("lets WebClient wait out a 429's Retry-After and retry, and keeps the pool usable", async () => {
    slack.enqueue('chat.postMessage', { rateLimited: true, retryAfterSeconds: 1 });
    const web = client({ retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 } });
    const waits: number[] = [];
    web.on(webApi.WebClientEvent.RATE_LIMITED, (seconds: number) => waits.push(seconds));
    const started = Date.now();
    const result = await web.chat.postMessage({ channel: 'C0RATE', text: 'hello' });
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(waits).toEqual([1]);
    expect(slack.messages('C0RATE')).toHaveLength(1);

    // WebClient never reads a 429's body: many in a row must not leave connections stuck.
    for (let i = 0; i < 20; i++) slack.enqueue('auth.test', { rateLimited: true, retryAfterSeconds: 0 });
    const quick = client({ rejectRateLimitedCalls: true });
    for (let i = 0; i < 20; i++) {
      await expect(quick.auth.test()).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error' });
    }
    expect((await quick.auth.test()).ok).toBe(true);
  });

  it('decodes a gzip-encoded answer, and gives WebClient the bytes of an application/gzip file', async () => {
    slack.enqueue('auth.test', {
      raw: {
        status: 200,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify({ ok: true, user_id: 'UBOT', team: 'Zipped' })),
      },
    });
    expect(await client().auth.test()).toMatchObject({ ok: true, team: 'Zipped' });

    const rows = [
      { team_id: 'T1', messages_posted: 3 },
      { team_id: 'T1', messages_posted: 5 },
    ];
    slack.enqueue('admin.analytics.getFile', {
      raw: {
        status: 200,
        headers: { 'content-type': 'application/gzip' },
        body: gzipSync(rows.map((row) => JSON.stringify(row)).join('\n')),
      },
    });
    const file = await client().admin.analytics.getFile({ type: 'member', date: '2026-11-23' });
    expect(file.file_data).toEqual(rows);
  });

  it('uploads a file as multipart form data (files.uploadV2)', async () => {
    const result = await client().files.uploadV2({
      channel_id: 'C0FILES',
      file: Buffer.from('hello file contents'),
      filename: 'hello.txt',
    });
    expect(result.ok).toBe(true);
    const [upload] = slack.uploads;
    expect(upload?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload?.body.toString('utf8')).toContain('hello file contents');
    expect(slack.callsTo('files.completeUploadExternal')).toHaveLength(1);
  });

  it('opens a new pool after close(), and close() cuts a request that would never end', async () => {
    const own = createSlackFetch();
    const web = new webApi.WebClient(slack.token, {
      slackApiUrl: slack.apiUrl,
      fetch: own.fetch,
      retryConfig: { retries: 0 },
    });
    expect((await web.auth.test()).ok).toBe(true);
    await own.close();
    expect((await web.auth.test()).ok).toBe(true);

    slack.enqueue('auth.test', { hang: true });
    const hanging = web.auth.test().catch((error: unknown) => error);
    await slack.waitForCalls('auth.test', 3);
    const started = Date.now();
    await own.close(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hanging).toMatchObject({ code: 'slack_webapi_request_error' });
  });
});
