import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGemini, startFakeGemini } from '../../fakes/gemini-server.ts';

/** The fake's own wire shapes, checked with plain fetch (the SDK tests cover the happy paths). */
describe('fake Gemini wire shapes', () => {
  let fake: FakeGemini;
  const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
  const post = (headers: Record<string, string>, action = 'generateContent') =>
    fetch(`${fake.baseURL}/models/gemini-2.5-flash:${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: 'right-key' });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  it('answers a wrong key with 400 API_KEY_INVALID and a missing key with 403', async () => {
    const wrong = await post({ 'x-goog-api-key': 'nope' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }, {}],
      },
    });
    const missing = await post({});
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
  });

  it('accepts the key as ?key= too', async () => {
    const response = await fetch(`${fake.baseURL}/models/gemini-2.5-flash:generateContent?key=right-key`, {
      method: 'POST',
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      candidates: [{ content: { role: 'model', parts: [{ text: 'fake gemini (gemini-2.5-flash): hi' }] } }],
      usageMetadata: { promptTokenCount: 1 },
    });
  });

  it('sends 429 with RESOURCE_EXHAUSTED, RetryInfo and Retry-After', async () => {
    fake.enqueue({ status: 429, retryDelay: '2s' });
    const response = await post({ 'x-goog-api-key': 'right-key' });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    const error = (await response.json()) as {
      error: { status: string; details: Array<Record<string, unknown>> };
    };
    expect(error.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(error.error.details).toContainEqual({
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: '2s',
    });
  });

  it('streams SSE data lines without a [DONE] marker, finishReason on the last chunk', async () => {
    fake.enqueue({ text: ['a', 'b'] });
    const response = await post({ 'x-goog-api-key': 'right-key' }, 'streamGenerateContent?alt=sse');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = (await response.text()).split('\r\n\r\n').filter(Boolean);
    expect(events).toHaveLength(2);
    expect(events.every((event) => event.startsWith('data: {'))).toBe(true);
    const last = JSON.parse(events[1]?.slice('data: '.length) ?? '{}');
    expect(last.candidates[0]).toMatchObject({ content: { parts: [{ text: 'b' }] }, finishReason: 'STOP' });
  });

  it('records requests and lets tests wait for them', async () => {
    const waiting = fake.waitForRequests(2);
    await post({ 'x-goog-api-key': 'right-key' });
    await post({ 'x-goog-api-key': 'right-key' });
    const requests = await waiting;
    expect(requests.map((r) => r.body.contents[0]?.parts[0]?.text)).toEqual(['hi', 'hi']);
    await expect(fake.waitForRequests(3, 50)).rejects.toThrow(/expected 3 request\(s\) within 50 ms, got 2/);
  });
});
