/**
 * A provider record's kind → the AI SDK provider that speaks its wire format. Every one takes a
 * base URL, so a record can point at a proxy, a regional endpoint or (in tests) a local fake.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { ProviderKind } from '../../core/provider-names.ts';

/** A model instance; a plain string id would be routed to Vercel's gateway. */
export type ModelInstance = Exclude<LanguageModel, string>;

export interface ProviderConnection {
  kind: ProviderKind;
  /** Names the provider in the SDK's metadata (the record's name). */
  name: string;
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
}

/** Where each kind goes when the record names no base URL. */
export const DEFAULT_BASE_URLS: Record<ProviderKind, string | undefined> = {
  google: 'https://generativelanguage.googleapis.com/v1beta',
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  'openai-compatible': undefined,
};

/** A function from model id to model instance for this connection. */
export function modelFactory(connection: ProviderConnection): (modelId: string) => ModelInstance {
  const baseURL = connection.baseUrl || DEFAULT_BASE_URLS[connection.kind];
  const apiKey = connection.apiKey ?? '';
  switch (connection.kind) {
    case 'google': {
      const provider = createGoogleGenerativeAI({ apiKey, ...(baseURL && { baseURL }) });
      return (modelId) => provider(modelId);
    }
    case 'openai': {
      // OpenAI's own API: the Responses API, the SDK's default for OpenAI models.
      const provider = createOpenAI({ apiKey, ...(baseURL && { baseURL }) });
      return (modelId) => provider.responses(modelId);
    }
    case 'anthropic': {
      const provider = createAnthropic({ apiKey, ...(baseURL && { baseURL }) });
      return (modelId) => provider.messages(modelId);
    }
    case 'openai-compatible': {
      if (!baseURL) throw new Error('an openai-compatible provider needs a base URL');
      const provider = createOpenAICompatible({
        name: connection.name,
        baseURL,
        ...(connection.apiKey && { apiKey: connection.apiKey }),
        includeUsage: true,
      });
      return (modelId) => provider.chatModel(modelId);
    }
  }
}
