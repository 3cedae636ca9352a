import { describe, expect, it } from 'vitest';
import { isModelCallError } from '../../../src/worker/llm-call.ts';
import {
  createModelRegistry,
  knownProviders,
  parseModelSpec,
} from '../../../src/worker/providers/registry.ts';

describe('parseModelSpec', () => {
  it.each([
    ['google:gemini-2.5-flash', 'google', 'gemini-2.5-flash'],
    ['local:llama3.2', 'local', 'llama3.2'],
    ['local:llama3.2:3b', 'local', 'llama3.2:3b'],
    ['offline:echo', 'offline', 'echo'],
    ['  Google:gemini-2.5-pro ', 'google', 'gemini-2.5-pro'],
  ])('accepts %j', (spec, provider, modelId) => {
    expect(parseModelSpec(spec)).toEqual({ ok: true, provider, modelId, builtIn: true });
  });

  it.each([
    ['team-claude:claude-sonnet-4-5', 'team-claude', 'claude-sonnet-4-5'],
    ['Acme:gpt-4.1-mini', 'acme', 'gpt-4.1-mini'],
  ])('accepts %j as a provider record name, resolved per workspace', (spec, provider, modelId) => {
    expect(parseModelSpec(spec)).toEqual({ ok: true, provider, modelId, builtIn: false });
  });

  it.each([
    ['open_ai:gpt-4o', /unknown model provider "open_ai".*google, local, offline.*\/agent provider add/],
    ['gemini-2.5-flash', /no provider.*provider:model/],
    ['google:', /model name missing after "google:"/],
    ['google:  ', /model name missing/],
    ['', /model is empty/],
    ['local:llama 3', /must not contain spaces/],
    ['offline:smart', /offline:echo/],
  ])('rejects %j with a helpful message', (spec, message) => {
    const parsed = parseModelSpec(spec);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });

  it('lists the known providers', () => {
    expect(knownProviders()).toEqual(['google', 'local', 'offline']);
  });
});

describe('createModelRegistry', () => {
  const baseURL = 'http://127.0.0.1:9/v1beta';

  it('resolves every provider to a model instance, never a string id', () => {
    const registry = createModelRegistry({ google: { apiKey: 'k', baseURL } });
    for (const spec of ['google:gemini-2.5-flash', 'local:llama3.2', 'offline:echo']) {
      const model = registry.resolve(spec);
      expect(typeof model).toBe('object');
      expect(model.specificationVersion).toBe('v3');
    }
    expect(registry.resolve('google:gemini-2.5-flash').modelId).toBe('gemini-2.5-flash');
    expect(registry.resolve('local:llama3.2:3b').modelId).toBe('llama3.2:3b');
  });

  it('caches model instances per spec', () => {
    const registry = createModelRegistry({ google: { apiKey: 'k', baseURL } });
    expect(registry.resolve('google:gemini-2.5-flash')).toBe(registry.resolve(' google:gemini-2.5-flash'));
    expect(registry.resolve('offline:echo')).toBe(registry.resolve('offline:echo'));
  });

  it('refuses google without a key, naming the variable to set', () => {
    const registry = createModelRegistry({ google: { apiKey: '  ', baseURL } });
    let thrown: unknown;
    try {
      registry.resolve('google:gemini-2.5-flash');
    } catch (error) {
      thrown = error;
    }
    expect(isModelCallError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ kind: 'fatal', code: 'config' });
    expect((thrown as Error).message).toContain('GOOGLE_GENERATIVE_AI_API_KEY');
    expect(() => createModelRegistry({}).resolve('google:gemini-2.5-flash')).toThrow(
      /GOOGLE_GENERATIVE_AI_API_KEY/,
    );
  });

  it('still resolves the other providers when google has no key', () => {
    const registry = createModelRegistry({});
    expect(registry.resolve('offline:echo').provider).toBe('offline');
    expect(registry.resolve('local:qwen2.5').provider).toMatch(/^local/);
  });

  it('throws a fatal config error for a bad spec', () => {
    const registry = createModelRegistry({});
    expect(() => registry.resolve('open_ai:gpt-4o')).toThrow(/use google, local, offline/);
    expect(() => registry.resolve('openai:gpt-4o')).toThrow(/"openai" is not configured in this process/);
  });
});
