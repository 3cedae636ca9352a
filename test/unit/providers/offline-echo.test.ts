import { generateText, type ModelMessage, streamText } from 'ai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callModel } from '../../../src/worker/llm-call.ts';
import { createOfflineEchoModel, describeAgent } from '../../../src/worker/providers/offline-echo.ts';

const conversation: ModelMessage[] = [
  { role: 'user', content: 'Hi there' },
  { role: 'assistant', content: 'Hello!' },
  { role: 'user', content: 'What is the capital of France?' },
];
const system = 'You are Aria, a research assistant. Answer briefly.';

describe('offline:echo', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers with a labelled, deterministic reply and never touches the network', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('network used'));
    const model = createOfflineEchoModel();

    const first = await callModel({ model, system, messages: conversation, timeoutMs: 1_000 });
    const second = await generateText({ model, system, messages: conversation, maxRetries: 0 });

    expect(first.text).toBe(
      '[offline echo] You said: "What is the capital of France?"\n' +
        'Aria (research assistant) is running on the offline echo model: it saw 3 messages of context' +
        ' and repeats the last one. Give the agent a real model (e.g. model=google:gemini-2.5-flash) for real answers.',
    );
    expect(second.text).toBe(first.text);
    expect(first.finishReason).toBe('stop');
    expect(first).toMatchObject({ modelId: 'echo', provider: 'offline' });
    expect(first.usage.inputTokens).toBeGreaterThan(0);
    expect(first.usage.outputTokens).toBeGreaterThan(0);
    expect(first.usage.totalTokens).toBe((first.usage.inputTokens ?? 0) + (first.usage.outputTokens ?? 0));
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('works without a system prompt and counts one message', async () => {
    const result = await generateText({
      model: createOfflineEchoModel(),
      messages: [{ role: 'user', content: 'ping' }],
      maxRetries: 0,
    });
    expect(result.text).toMatch(
      /^\[offline echo\] You said: "ping"\nthis agent is running .* saw 1 message of context/,
    );
  });

  it('streams the same text in several chunks', async () => {
    const model = createOfflineEchoModel();
    const generated = await generateText({ model, system, messages: conversation, maxRetries: 0 });
    const result = streamText({ model, system, messages: conversation, maxRetries: 0 });
    const chunks: string[] = [];
    for await (const delta of result.textStream) chunks.push(delta);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe(generated.text);
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
  });

  it.each([
    ['You are Aria, a research assistant. Be kind.', { name: 'Aria', role: 'research assistant' }],
    ['Name: Bob\nRole: release manager\nGoal: ship it', { name: 'Bob', role: 'release manager' }],
    ['You are Zed. Your role is the on-call helper.', { name: 'Zed', role: 'on-call helper' }],
    [
      'You are aria, Research assistant.\nYou are talking with people in a team chat.',
      { name: 'aria', role: 'Research assistant' },
    ],
    ['You are Mo.\nYou are talking with people in a team chat.', { name: 'Mo' }],
    ['You are a helpful assistant.', {}],
    ['Be helpful.', {}],
  ])('reads the agent from %j', (prompt, expected) => {
    expect(describeAgent(prompt)).toEqual(expected);
  });
});
