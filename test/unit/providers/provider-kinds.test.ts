/**
 * Each kind of provider record answers through the real AI SDK provider against a local fake of
 * its API, in its real wire format: plain and SSE-streamed, and with the provider's own error
 * bodies, which the model layer sorts into fatal (401/403) and retryable (429 with its wait, 5xx).
 */
import { type ModelMessage, streamText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderKind } from '../../../src/core/provider-names.ts';
import { probeModel } from '../../../src/providers/probe.ts';
import { callModel, isModelCallError, type ModelCallError } from '../../../src/worker/llm-call.ts';
import { classifyModelError } from '../../../src/worker/providers/model-call-error.ts';
import { type ModelInstance, modelFactory } from '../../../src/worker/providers/model-factory.ts';
import { type FakeAnthropic, startFakeAnthropic } from '../../fakes/anthropic-server.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../../fakes/openai-server.ts';
import { TEST_SECRETS } from '../../support/test-secrets.ts';

const messages: ModelMessage[] = [
  { role: 'user', content: 'hello' },
  { role: 'assistant', content: 'hi!' },
  { role: 'user', content: 'tell me a joke' },
];
const system = 'You are Bob.';

async function failureOf(promise: Promise<unknown>): Promise<ModelCallError> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  if (!isModelCallError(error)) throw new Error(`expected a ModelCallError, got ${String(error)}`);
  return error;
}

/** What a streamed call ends with: the text, or the error the stream reported. */
async function streamed(model: ModelInstance): Promise<{ text: string; error?: ModelCallError }> {
  let failure: unknown;
  const result = streamText({
    model,
    system,
    messages,
    maxRetries: 0,
    onError: ({ error }) => {
      failure = error;
    },
  });
  let text = '';
  for await (const delta of result.textStream) text += delta;
  if (failure === undefined) return { text };
  return { text, error: classifyModelError(failure, { timedOut: false, cancelled: false, timeoutMs: 5000 }) };
}

interface Case {
  kind: ProviderKind;
  api: string;
  modelId: string;
  reply: string;
  key: string;
  start: () => Promise<FakeOpenAI | FakeAnthropic>;
}

const cases: Case[] = [
  {
    kind: 'openai',
    api: 'responses',
    modelId: 'gpt-4.1-mini',
    reply: 'fake openai responses (gpt-4.1-mini): tell me a joke',
    key: TEST_SECRETS.openaiApiKey,
    start: () => startFakeOpenAI({ apiKey: TEST_SECRETS.openaiApiKey }),
  },
  {
    kind: 'openai-compatible',
    api: 'chat completions',
    modelId: 'gpt-4.1-mini',
    reply: 'fake openai chat (gpt-4.1-mini): tell me a joke',
    key: TEST_SECRETS.openaiApiKey,
    start: () => startFakeOpenAI({ apiKey: TEST_SECRETS.openaiApiKey }),
  },
  {
    kind: 'anthropic',
    api: 'messages',
    modelId: 'claude-sonnet-4-5',
    reply: 'fake anthropic (claude-sonnet-4-5): tell me a joke',
    key: TEST_SECRETS.anthropicApiKey,
    start: () => startFakeAnthropic({ apiKey: TEST_SECRETS.anthropicApiKey }),
  },
];

describe.each(cases)('$kind ($api) through the real SDK provider and the fake API', (c) => {
  let fake: FakeOpenAI | FakeAnthropic;
  const model = (apiKey = c.key) =>
    modelFactory({ kind: c.kind, name: 'team', apiKey, baseUrl: fake.baseURL })(c.modelId);

  beforeAll(async () => {
    fake = await c.start();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('answers a plain call with the text and the usage', async () => {
    const result = await callModel({ model: model(), system, messages, timeoutMs: 5_000 });
    expect(result.text).toBe(c.reply);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(fake.requests[0]?.stream).toBe(false);
    expect(fake.requests[0]?.apiKey).toBe(c.key);
  });

  it('answers a streamed call chunk by chunk', async () => {
    fake.enqueue({ text: ['why ', 'did ', 'the chicken'] });
    const deltas: string[] = [];
    const result = streamText({ model: model(), system, messages, maxRetries: 0 });
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe('why did the chicken');
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
    expect(fake.requests[0]?.stream).toBe(true);
  });

  it('a refused key (401) is fatal, plain and streamed, and the key is in no message', async () => {
    const plain = await failureOf(
      callModel({ model: model(TEST_SECRETS.revokedProviderKey), messages, timeoutMs: 5_000 }),
    );
    expect(plain).toMatchObject({ kind: 'fatal', code: 'auth', statusCode: 401 });
    const stream = await streamed(model(TEST_SECRETS.revokedProviderKey));
    expect(stream.error).toMatchObject({ kind: 'fatal', code: 'auth', statusCode: 401 });
    for (const text of [plain.message, stream.error?.message ?? '']) {
      expect(text).not.toContain(TEST_SECRETS.revokedProviderKey);
      expect(text).not.toContain(c.key);
    }
  });

  it('403 is fatal', async () => {
    fake.enqueue({ status: 403 });
    expect(await failureOf(callModel({ model: model(), messages, timeoutMs: 5_000 }))).toMatchObject({
      kind: 'fatal',
      code: 'auth',
      statusCode: 403,
    });
  });

  it('429 is retryable and carries the wait the provider asked for, plain and streamed', async () => {
    fake.enqueue(
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 429, headers: { 'retry-after': '3' } },
    );
    expect(await failureOf(callModel({ model: model(), messages, timeoutMs: 5_000 }))).toMatchObject({
      kind: 'retryable',
      code: 'rate_limited',
      retryAfterMs: 7000,
    });
    expect((await streamed(model())).error).toMatchObject({ code: 'rate_limited', retryAfterMs: 3000 });
  });

  it.each([500, 503, 529])('%i is retryable', async (status) => {
    fake.enqueue({ status });
    expect(await failureOf(callModel({ model: model(), messages, timeoutMs: 5_000 }))).toMatchObject({
      kind: 'retryable',
      code: 'server_error',
      statusCode: status,
    });
  });

  it('a lost response (connection dropped) is retryable', async () => {
    fake.enqueue({ disconnect: true });
    expect(await failureOf(callModel({ model: model(), messages, timeoutMs: 5_000 }))).toMatchObject({
      kind: 'retryable',
    });
  });

  it('`providers test`: latency on success, the refusal in plain words', async () => {
    const ok = await probeModel(model());
    expect(ok).toMatchObject({ ok: true });
    const refused = await probeModel(model(TEST_SECRETS.revokedProviderKey));
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error).toMatch(/^the provider refused the key: model provider answered HTTP 401/);
      expect(refused.error).not.toContain(TEST_SECRETS.revokedProviderKey);
    }
  });
});
