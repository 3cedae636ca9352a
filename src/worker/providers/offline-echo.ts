import type { LanguageModel } from 'ai';

// The spec types are derived from `ai` (which only accepts V3/V2 models) rather than imported
// from @ai-sdk/provider, a transitive dependency package.json does not declare.
type LanguageModelV3 = Extract<LanguageModel, { specificationVersion: 'v3' }>;
type CallOptions = Parameters<LanguageModelV3['doGenerate']>[0];
type GenerateResult = Awaited<ReturnType<LanguageModelV3['doGenerate']>>;
type StreamResult = Awaited<ReturnType<LanguageModelV3['doStream']>>;
type StreamPart = StreamResult['stream'] extends ReadableStream<infer Part> ? Part : never;
type Prompt = CallOptions['prompt'];

export const OFFLINE_PROVIDER_ID = 'offline';
export const OFFLINE_ECHO_MODEL_ID = 'echo';

const MAX_ECHO_CHARS = 280;
const STREAM_CHUNKS = 3;

function textOf(message: Prompt[number]): string {
  if (message.role === 'system') return message.content;
  return message.content
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join('')
    .trim();
}

/**
 * Best-effort read of the agent's name and role from its system prompt: `Name: Aria` /
 * `You are Aria` and `Role: …` / `You are Aria, a research assistant.` / `Your role is …`.
 */
export function describeAgent(systemPrompt: string): { name?: string; role?: string } {
  // The first "You are X" wins; articles and filler words after it mean no name was given.
  const youAre =
    /\b[Yy]ou are (?!(?:an?|the|talking|now|here|in|going|not)\b)([\p{L}\d][\p{L}\d'_-]*)(?:, (?:an? |the )?([^.\n]+))?/u.exec(
      systemPrompt,
    );
  const name = /^\s*name\s*:\s*(.+?)\s*$/im.exec(systemPrompt)?.[1] ?? youAre?.[1];
  const role =
    /^\s*role\s*:\s*(.+?)\s*$/im.exec(systemPrompt)?.[1] ??
    youAre?.[2]?.trim() ??
    /\byour role is (?:an? |the )?([^.\n]+)/i.exec(systemPrompt)?.[1]?.trim();
  return { ...(name ? { name } : {}), ...(role ? { role } : {}) };
}

/** The deterministic reply for a prompt: same prompt, same text. */
export function offlineEchoReply(prompt: Prompt): string {
  const systemPrompt = prompt
    .filter((m) => m.role === 'system')
    .map(textOf)
    .join('\n');
  const conversation = prompt.filter((m) => m.role !== 'system');
  const lastUser = [...conversation].reverse().find((m) => m.role === 'user');
  const said = lastUser ? textOf(lastUser) : '';
  const echoed = said.length > MAX_ECHO_CHARS ? `${said.slice(0, MAX_ECHO_CHARS)}…` : said;

  const { name, role } = describeAgent(systemPrompt);
  const who = name && role ? `${name} (${role})` : (name ?? role ?? 'this agent');
  const count = conversation.length;
  const first = lastUser ? `You said: "${echoed}"` : 'No user message to answer.';
  return [
    `[offline echo] ${first}`,
    `${who} is running on the offline echo model: it saw ${count} message${count === 1 ? '' : 's'} of context` +
      ' and repeats the last one. Give the agent a real model (e.g. model=google:gemini-2.5-flash) for real answers.',
  ].join('\n');
}

/** Rough token count (~4 characters per token), deterministic. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function usageFor(prompt: Prompt, reply: string): GenerateResult['usage'] {
  const input = estimateTokens(prompt.map(textOf).join('\n'));
  const output = estimateTokens(reply);
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

function splitIntoChunks(text: string, chunks: number): string[] {
  const size = Math.ceil(text.length / chunks);
  const parts: string[] = [];
  for (let at = 0; at < text.length; at += size) parts.push(text.slice(at, at + size));
  return parts;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError');
  }
}

const STOP: GenerateResult['finishReason'] = { unified: 'stop', raw: 'stop' };

/** `offline:echo`: needs no key and no network; labelled so nobody mistakes it for a real model. */
export function createOfflineEchoModel(): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: OFFLINE_PROVIDER_ID,
    modelId: OFFLINE_ECHO_MODEL_ID,
    supportedUrls: {},

    async doGenerate(options: CallOptions): Promise<GenerateResult> {
      throwIfAborted(options.abortSignal);
      const text = offlineEchoReply(options.prompt);
      return {
        content: [{ type: 'text', text }],
        finishReason: STOP,
        usage: usageFor(options.prompt, text),
        response: { modelId: OFFLINE_ECHO_MODEL_ID },
        warnings: [],
      };
    },

    async doStream(options: CallOptions): Promise<StreamResult> {
      throwIfAborted(options.abortSignal);
      const text = offlineEchoReply(options.prompt);
      const parts: StreamPart[] = [
        { type: 'stream-start', warnings: [] },
        { type: 'response-metadata', modelId: OFFLINE_ECHO_MODEL_ID },
        { type: 'text-start', id: 'text-0' },
        ...splitIntoChunks(text, STREAM_CHUNKS).map(
          (delta): StreamPart => ({ type: 'text-delta', id: 'text-0', delta }),
        ),
        { type: 'text-end', id: 'text-0' },
        { type: 'finish', finishReason: STOP, usage: usageFor(options.prompt, text) },
      ];
      const stream = new ReadableStream<StreamPart>({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
          controller.close();
        },
      });
      return { stream };
    },
  };
}
