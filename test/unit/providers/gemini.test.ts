import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { type ModelMessage, streamText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callModel, isModelCallError, type ModelCallError } from '../../../src/worker/llm-call.ts';
import { createModelRegistry } from '../../../src/worker/providers/registry.ts';
import { type FakeGemini, startFakeGemini } from '../../fakes/gemini-server.ts';
import { TEST_SECRETS } from '../../support/test-secrets.ts';

const messages: ModelMessage[] = [
  { role: 'user', content: 'Ann: hello' },
  { role: 'assistant', content: 'Hi Ann, how can I help?' },
  { role: 'user', content: 'Ann: summarise the thread' },
];
const system = 'You are Aria, a helpful assistant.';

async function failureOf(promise: Promise<unknown>): Promise<ModelCallError> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  if (!isModelCallError(error)) throw new Error(`expected a ModelCallError, got ${String(error)}`);
  return error;
}

describe('google: through the real @ai-sdk/google against the fake Gemini', () => {
  let fake: FakeGemini;
  let call: (timeoutMs?: number, signal?: AbortSignal) => ReturnType<typeof callModel>;

  beforeAll(async () => {
    fake = await startFakeGemini();
    const registry = createModelRegistry({ google: { apiKey: fake.apiKey, baseURL: fake.baseURL } });
    const model = registry.resolve('google:gemini-2.5-flash');
    call = (timeoutMs = 5_000, signal) =>
      callModel({ model, system, messages, timeoutMs, ...(signal ? { signal } : {}) });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  it('sends systemInstruction and user/model turns in order, with the key in x-goog-api-key', async () => {
    const result = await call();

    expect(result.text).toBe('fake gemini (gemini-2.5-flash): Ann: summarise the thread');
    expect(result.finishReason).toBe('stop');
    expect(result.modelId).toBe('gemini-2.5-flash');
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(request?.headers['x-goog-api-key']).toBe(fake.apiKey);
    expect(request?.body.systemInstruction).toEqual({ parts: [{ text: system }] });
    expect(request?.body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Ann: hello' }] },
      { role: 'model', parts: [{ text: 'Hi Ann, how can I help?' }] },
      { role: 'user', parts: [{ text: 'Ann: summarise the thread' }] },
    ]);
  });

  it('returns scripted answers in order, then the default', async () => {
    fake.enqueue({ text: 'first' }, { text: ['sec', 'ond'] });
    expect((await call()).text).toBe('first');
    expect((await call()).text).toBe('second');
    expect((await call()).text).toMatch(/^fake gemini/);
  });

  it('a 500 is retryable and is requested exactly once (SDK retries off)', async () => {
    fake.enqueue({ status: 500 });
    const error = await failureOf(call());
    expect(error).toMatchObject({ kind: 'retryable', code: 'server_error', statusCode: 500 });
    expect(error.reason).toMatch(/HTTP 500: An internal error has occurred/);
    expect(fake.requests).toHaveLength(1);
  });

  it('a 503 is retryable', async () => {
    fake.enqueue({ status: 503 });
    expect(await failureOf(call())).toMatchObject({ kind: 'retryable', statusCode: 503 });
  });

  it('a 429 with Retry-After is retryable with retryAfterMs', async () => {
    fake.enqueue({ status: 429, retryDelay: '3s' });
    const error = await failureOf(call());
    expect(error).toMatchObject({
      kind: 'retryable',
      code: 'rate_limited',
      statusCode: 429,
      retryAfterMs: 3_000,
    });
    expect(fake.requests).toHaveLength(1);
  });

  it("a 429 without Retry-After falls back to the body's RetryInfo", async () => {
    fake.enqueue({ status: 429, retryDelay: '7s', retryAfter: null });
    expect(await failureOf(call())).toMatchObject({ code: 'rate_limited', retryAfterMs: 7_000 });
  });

  it('a rejected key is fatal and the key never appears in the error', async () => {
    const secret = TEST_SECRETS.geminiOtherKey;
    const model = createGoogleGenerativeAI({ apiKey: secret, baseURL: fake.baseURL })('gemini-2.5-flash');
    const error = await failureOf(callModel({ model, system, messages, timeoutMs: 5_000 }));

    expect(error).toMatchObject({ kind: 'fatal', code: 'auth', statusCode: 400 });
    expect(error.reason).toMatch(/API key not valid/);
    for (const text of [
      error.message,
      error.reason,
      String(error),
      JSON.stringify(error),
      error.stack ?? '',
    ]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('summarise the thread');
    }
    expect(fake.requests[0]?.apiKey).toBe(secret);
  });

  it('an unknown model (404) is fatal', async () => {
    fake.enqueue({ status: 404, message: 'models/gemini-9 is not found for API version v1beta' });
    expect(await failureOf(call())).toMatchObject({ kind: 'fatal', code: 'not_found', statusCode: 404 });
  });

  it('a slow answer times out as a retryable error', async () => {
    fake.enqueue({ text: 'too late', delayMs: 30_000 });
    const error = await failureOf(call(200));
    expect(error).toMatchObject({ kind: 'retryable', code: 'timeout' });
    expect(error.reason).toBe('model call timed out after 200 ms');
  });

  it("the caller's signal cancels the call as retryable", async () => {
    fake.enqueue({ text: 'never', delayMs: 30_000 });
    const controller = new AbortController();
    const pending = failureOf(call(10_000, controller.signal));
    await fake.waitForRequests(1);
    controller.abort();
    expect(await pending).toMatchObject({ kind: 'retryable', code: 'aborted' });
  });

  it('a dropped connection is a retryable network error', async () => {
    fake.enqueue({ disconnect: true });
    expect(await failureOf(call())).toMatchObject({ kind: 'retryable', code: 'network' });
  });

  it('an empty candidate is retryable, a safety block is fatal', async () => {
    fake.enqueue({ empty: true }, { empty: true, finishReason: 'SAFETY' });
    expect(await failureOf(call())).toMatchObject({ kind: 'retryable', code: 'empty_response' });
    expect(await failureOf(call())).toMatchObject({ kind: 'fatal', code: 'content_filtered' });
  });

  it('streams over SSE through streamText', async () => {
    fake.enqueue({ text: ['Hel', 'lo ', 'there'] });
    const model = createModelRegistry({ google: { apiKey: fake.apiKey, baseURL: fake.baseURL } }).resolve(
      'google:gemini-2.5-flash',
    );
    const result = streamText({ model, system, messages, maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe('Hello there');
    expect(deltas.length).toBeGreaterThan(1);
    expect(fake.requests[0]?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(fake.requests[0]?.query).toEqual({ alt: 'sse' });
  });
});
