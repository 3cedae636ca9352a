import { isProviderName } from '../../core/provider-names.ts';
import { configError } from './model-call-error.ts';
import { type ModelInstance, modelFactory } from './model-factory.ts';
import { createOfflineEchoModel, OFFLINE_ECHO_MODEL_ID } from './offline-echo.ts';
import type { ProviderResolver } from './resolver.ts';

export type { ModelInstance };

const PROVIDERS = {
  google: 'Gemini through the Google Generative AI API (needs GOOGLE_GENERATIVE_AI_API_KEY)',
  local: 'an OpenAI-compatible server: Ollama, llama.cpp, vLLM (OPENAI_COMPATIBLE_BASE_URL)',
  offline: 'built-in offline model, no key or network: offline:echo',
} as const;

export type ProviderName = keyof typeof PROVIDERS;

/** Ollama's OpenAI-compatible endpoint, the most common local server. */
export const DEFAULT_OPENAI_COMPATIBLE_BASE_URL = 'http://127.0.0.1:11434/v1';

export function knownProviders(): ProviderName[] {
  return Object.keys(PROVIDERS) as ProviderName[];
}

export function describeProvider(provider: ProviderName): string {
  return PROVIDERS[provider];
}

function isBuiltInName(value: string): value is ProviderName {
  return Object.hasOwn(PROVIDERS, value);
}

export interface ModelSpec {
  /** A built-in provider, or the name of a provider record (resolved per workspace). */
  provider: string;
  modelId: string;
  builtIn: boolean;
}

export type ParsedModelSpec = ({ ok: true } & ModelSpec) | { ok: false; error: string };

const EXAMPLE = 'e.g. google:gemini-2.5-flash';

/**
 * Parses `provider:model`. Only the first colon separates: Ollama tags keep theirs
 * (`local:llama3.2:3b` → model `llama3.2:3b`). Never throws.
 */
export function parseModelSpec(spec: string): ParsedModelSpec {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(':');
  const known = knownProviders().join(', ');
  if (trimmed === '') return { ok: false, error: `model is empty: use provider:model (${EXAMPLE})` };
  if (colon === -1) {
    return { ok: false, error: `model "${trimmed}" has no provider: use provider:model (${EXAMPLE})` };
  }
  const provider = trimmed.slice(0, colon).toLowerCase();
  const modelId = trimmed.slice(colon + 1).trim();
  const builtIn = isBuiltInName(provider);
  if (!builtIn && !isProviderName(provider)) {
    return {
      ok: false,
      error: `unknown model provider "${provider}": use ${known}, or a provider added with /agent provider add`,
    };
  }
  if (modelId === '') return { ok: false, error: `model name missing after "${provider}:" (${EXAMPLE})` };
  if (/\s/.test(modelId)) return { ok: false, error: `model name "${modelId}" must not contain spaces` };
  if (provider === 'offline' && modelId !== OFFLINE_ECHO_MODEL_ID) {
    return { ok: false, error: `the offline provider has one model: offline:${OFFLINE_ECHO_MODEL_ID}` };
  }
  return { ok: true, provider, modelId, builtIn };
}

export function formatModelSpec(spec: Pick<ModelSpec, 'provider' | 'modelId'>): string {
  return `${spec.provider}:${spec.modelId}`;
}

export interface ModelRegistryOptions {
  google?: { apiKey?: string; baseURL: string };
  openaiCompatible?: { baseURL?: string; apiKey?: string };
  /** Provider records (teams' own keys); without it only built-in providers resolve. */
  records?: ProviderResolver;
}

/** Whose agent asks: a provider record is looked up in its workspace first, then globally. */
export interface ModelScope {
  workspaceId: string;
}

export interface ModelRegistry {
  /**
   * The model instance for `provider:model`. Throws a fatal ModelCallError (code `config`) for a
   * bad spec or a provider that is not configured: retrying cannot fix either.
   */
  resolve(spec: string, scope?: ModelScope): ModelInstance | Promise<ModelInstance>;
}

/** The registry this module builds: a built-in spec without a scope resolves synchronously. */
export interface BuiltInModelRegistry extends ModelRegistry {
  resolve(spec: string): ModelInstance;
  resolve(spec: string, scope?: ModelScope): ModelInstance | Promise<ModelInstance>;
}

export function createModelRegistry(options: ModelRegistryOptions): BuiltInModelRegistry {
  // The built-in providers speak the same wire formats as records of their kind.
  let google: ((modelId: string) => ModelInstance) | undefined;
  let local: ((modelId: string) => ModelInstance) | undefined;
  const models = new Map<string, ModelInstance>();

  function build(spec: ModelSpec & { provider: ProviderName }): ModelInstance {
    switch (spec.provider) {
      case 'google': {
        const apiKey = options.google?.apiKey?.trim();
        if (!apiKey) {
          throw configError('google models need a Gemini API key: set GOOGLE_GENERATIVE_AI_API_KEY');
        }
        google ??= modelFactory({ kind: 'google', name: 'google', apiKey, baseUrl: options.google?.baseURL });
        return google(spec.modelId);
      }
      case 'local':
        local ??= modelFactory({
          kind: 'openai-compatible',
          name: 'local',
          apiKey: options.openaiCompatible?.apiKey?.trim() || undefined,
          baseUrl: options.openaiCompatible?.baseURL || DEFAULT_OPENAI_COMPATIBLE_BASE_URL,
        });
        return local(spec.modelId);
      case 'offline':
        return createOfflineEchoModel();
    }
  }

  const registry: ModelRegistry = {
    resolve(spec: string, scope?: ModelScope): ModelInstance | Promise<ModelInstance> {
      const parsed = parseModelSpec(spec);
      if (!parsed.ok) throw configError(parsed.error);
      if (!isBuiltInName(parsed.provider)) {
        if (!options.records || !scope) {
          throw configError(`model provider "${parsed.provider}" is not configured in this process`);
        }
        return options.records.model(scope.workspaceId, parsed.provider, parsed.modelId);
      }
      const key = formatModelSpec(parsed);
      const cached = models.get(key);
      if (cached) return cached;
      const model = build({ ...parsed, provider: parsed.provider });
      models.set(key, model);
      return model;
    },
  };
  // A built-in spec never returns a promise: the overload that says so is true.
  return registry as BuiltInModelRegistry;
}
