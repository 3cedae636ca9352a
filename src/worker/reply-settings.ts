/**
 * What the reply worker takes from the configuration: its settings, and the model registry of the
 * built-in providers (from the environment) and the stored provider records.
 */
import type { Config } from '../config.ts';
import { createModelRegistry, type ModelRegistry } from './providers/registry.ts';
import type { ProviderResolver } from './providers/resolver.ts';
import type { ReplySettings } from './reply-processor.ts';

export function replySettingsOf(settings: Pick<Config, keyof ReplySettings>): ReplySettings {
  return {
    contextMessages: settings.contextMessages,
    llmTimeoutMs: settings.llmTimeoutMs,
    maxOutputTokens: settings.maxOutputTokens,
    agentRateLimitPerMin: settings.agentRateLimitPerMin,
    agentMaxConcurrent: settings.agentMaxConcurrent,
    providerRateLimitPerMin: settings.providerRateLimitPerMin,
    providerMaxConcurrent: settings.providerMaxConcurrent,
    defaultModel: settings.defaultModel,
    allowedModels: settings.allowedModels,
    failureMessage: settings.failureMessage,
  };
}

export function modelRegistryFor(
  settings: Pick<Config, 'google' | 'openaiCompatible'>,
  records: ProviderResolver,
): ModelRegistry {
  return createModelRegistry({
    google: {
      baseURL: settings.google.baseUrl,
      ...(settings.google.apiKey && { apiKey: settings.google.apiKey }),
    },
    openaiCompatible: {
      ...(settings.openaiCompatible.baseUrl && { baseURL: settings.openaiCompatible.baseUrl }),
      ...(settings.openaiCompatible.apiKey && { apiKey: settings.openaiCompatible.apiKey }),
    },
    records,
  });
}
