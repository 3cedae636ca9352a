import { type ModelMessage, streamText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callModel, isModelCallError } from '../../../src/worker/llm-call.ts';
import { createModelRegistry } from '../../../src/worker/providers/registry.ts';
import {
  type FakeOpenAICompatible,
  startFakeOpenAICompatible,
} from '../../fakes/openai-compatible-server.ts';
import { TEST_SECRETS } from '../../support/test-secrets.ts';

const messages: ModelMessage[] = [
  { role: 'user', content: 'hello' },
  { role: 'assistant', content: 'hi!' },
  { role: 'user', content: 'tell me a joke' },
];
const system = 'You are Bob.';

describe('local: through the real @ai-sdk/openai-compatible against the fake server', () => {
  let fake: FakeOpenAICompatible;
  const apiKey = TEST_SECRETS.openaiCompatibleKey;
  const model = () =>
    createModelRegistry({ openaiCompatible: { baseURL: fake.baseURL, apiKey } }).resolve('local:llama3.2:3b');

  beforeAll(async () => {
    fake = await startFakeOpenAICompatible({ apiKey });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  it('round-trips a chat completion', async () => {
    const result = await callModel({ model: model(), system, messages, timeoutMs: 5_000 });

    expect(result.text).toBe('fake local (llama3.2:3b): tell me a joke');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.totalTokens).toBeGreaterThan(0);
    const [request] = fake.requests;
    expect(request?.apiKey).toBe(apiKey);
    expect(request?.body.model).toBe('llama3.2:3b');
    expect(request?.body.messages.map((m) => [m.role, m.content])).toEqual([
      ['system', 'You are Bob.'],
      ['user', 'hello'],
      ['assistant', 'hi!'],
      ['user', 'tell me a joke'],
    ]);
  });

  it('streams chunks ending with [DONE]', async () => {
    fake.enqueue({ text: ['why ', 'did ', 'the chicken'] });
    const result = streamText({ model: model(), system, messages, maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe('why did the chicken');
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
    expect(fake.requests[0]?.stream).toBe(true);
  });

  it('a 500 is retryable after exactly one request', async () => {
    fake.enqueue({ status: 500 });
    const error = await callModel({ model: model(), system, messages, timeoutMs: 5_000 }).catch(
      (e: unknown) => e,
    );
    expect(isModelCallError(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'retryable', statusCode: 500 });
    expect(fake.requests).toHaveLength(1);
  });

  it('a wrong key is fatal and not echoed', async () => {
    const wrong = createModelRegistry({
      openaiCompatible: { baseURL: fake.baseURL, apiKey: 'sk-wrong-key-123456' },
    }).resolve('local:llama3.2');
    const error = await callModel({ model: wrong, messages, timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'fatal', code: 'auth', statusCode: 401 });
    expect(String((error as Error).message)).not.toContain('sk-wrong-key-123456');
  });
});
