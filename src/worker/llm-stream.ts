/**
 * The streamed model call: the same request as generateText, with each text delta handed to
 * `onText` as the whole answer so far. The end is read from the result's promises, not by
 * iterating the stream: a socket reset mid-stream can hang the AI SDK's iterator (ENVIRONMENT.md),
 * while `text` settles. Errors arrive through `onError` (a stream does not throw them), so the first
 * one is kept and thrown once the stream ends, for callModel to classify like any failure.
 */
import { type FinishReason, type LanguageModelUsage, type ModelMessage, streamText } from 'ai';
import type { ModelInstance } from './providers/registry.ts';

export interface StreamedAnswer {
  text: string;
  usage: LanguageModelUsage;
  finishReason: FinishReason;
  /** performance.now() when the first text arrived, if any did. */
  firstTextAt: number | undefined;
}

export async function streamModelText(
  request: {
    model: ModelInstance;
    system?: string;
    messages: ModelMessage[];
    abortSignal: AbortSignal;
    maxOutputTokens?: number;
  },
  onText: (textSoFar: string) => void,
): Promise<StreamedAnswer> {
  let failure: { error: unknown } | undefined;
  let soFar = '';
  let firstTextAt: number | undefined;
  // The request is built as the AI SDK takes it (llm-call.ts): optional fields are left out, not undefined.
  const result = streamText({
    ...request,
    maxRetries: 0,
    onChunk({ chunk }) {
      if (chunk.type !== 'text-delta' || chunk.text === '') return;
      firstTextAt ??= performance.now();
      soFar += chunk.text;
      onText(soFar);
    },
    onError({ error }) {
      failure ??= { error };
    },
  });
  const [text, usage, finishReason] = await Promise.all([
    result.text,
    result.totalUsage,
    result.finishReason,
  ]).catch((error: unknown) => {
    throw failure?.error ?? error;
  });
  if (failure) throw failure.error;
  if (request.abortSignal.aborted) throw request.abortSignal.reason;
  return { text, usage, finishReason, firstTextAt };
}
