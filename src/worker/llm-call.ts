import { type FinishReason, generateText, type ModelMessage } from 'ai';
import { type StreamedAnswer, streamModelText } from './llm-stream.ts';
import { classifyModelError, ModelCallError } from './providers/model-call-error.ts';
import type { ModelInstance } from './providers/registry.ts';

export type { ModelCallErrorCode, ModelCallErrorKind } from './providers/model-call-error.ts';
export { isModelCallError, ModelCallError } from './providers/model-call-error.ts';

export type { ModelInstance } from './providers/registry.ts';

export interface CallModelInput {
  model: ModelInstance;
  /** The agent's system prompt. */
  system?: string;
  /** The conversation, oldest first. */
  messages: ModelMessage[];
  timeoutMs: number;
  /** Cancels the call from outside (worker shutdown, job cancelled). */
  signal?: AbortSignal;
  maxOutputTokens?: number;
  /** Streams the answer: called with the whole text so far after each delta (see llm-stream.ts). */
  onText?: (textSoFar: string) => void;
}

export interface ModelCallUsage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  totalTokens: number | undefined;
}

export interface ModelCallResult {
  text: string;
  usage: ModelCallUsage;
  finishReason: FinishReason;
  /** The model's own id, e.g. `gemini-2.5-flash`. */
  modelId: string;
  /** The SDK provider id, e.g. `google.generative-ai`, `local.chat`, `offline`. */
  provider: string;
  durationMs: number;
  /** Streamed calls: performance.now() when the model's first text arrived. */
  firstTextAt?: number;
}

/**
 * One model call, no SDK retries (the queue owns attempts). Every failure is a ModelCallError
 * saying whether another attempt can help.
 *
 * An empty answer is retryable (`empty_response`): Gemini occasionally returns a candidate with
 * no parts, and a second attempt usually answers; JOB_ATTEMPTS bounds the cost. An empty answer
 * stopped by the safety filter is fatal (`content_filtered`): the same prompt gets the same block.
 */
export async function callModel(input: CallModelInput): Promise<ModelCallResult> {
  const startedAt = performance.now();
  const context = { timedOut: false, cancelled: false, timeoutMs: input.timeoutMs };
  // Our own controller + setTimeout: on Node 20, AbortSignal.any over AbortSignal.timeout can
  // stop firing after a GC, and that is what the SDK builds from its `timeout` option.
  const controller = new AbortController();
  const onCallerAbort = (): void => {
    context.cancelled = true;
    controller.abort(input.signal?.reason);
  };
  if (input.signal?.aborted) onCallerAbort();
  else input.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const timer = setTimeout(() => {
    context.timedOut = true;
    controller.abort(new DOMException(`model call timed out after ${input.timeoutMs} ms`, 'TimeoutError'));
  }, input.timeoutMs);

  try {
    if (controller.signal.aborted) throw controller.signal.reason;
    const request = {
      model: input.model,
      ...(input.system === undefined ? {} : { system: input.system }),
      messages: input.messages,
      maxRetries: 0,
      abortSignal: controller.signal,
      ...(input.maxOutputTokens === undefined ? {} : { maxOutputTokens: input.maxOutputTokens }),
    };
    const result = input.onText ? await streamModelText(request, input.onText) : await generated(request);
    if (result.text.trim() === '') {
      const filtered = result.finishReason === 'content-filter';
      throw new ModelCallError({
        kind: filtered ? 'fatal' : 'retryable',
        code: filtered ? 'content_filtered' : 'empty_response',
        reason: filtered
          ? 'the model declined to answer (content filter)'
          : `the model returned an empty answer (finish reason: ${result.finishReason})`,
      });
    }
    return {
      text: result.text,
      usage: {
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
        totalTokens: result.usage.totalTokens,
      },
      finishReason: result.finishReason,
      modelId: input.model.modelId,
      provider: input.model.provider,
      durationMs: Math.round(performance.now() - startedAt),
      ...(result.firstTextAt !== undefined && { firstTextAt: result.firstTextAt }),
    };
  } catch (error) {
    throw classifyModelError(error, context);
  } finally {
    clearTimeout(timer);
    input.signal?.removeEventListener('abort', onCallerAbort);
  }
}

/** generateText's answer in the shape of a streamed one (its result's fields are getters: no spread). */
async function generated(request: Parameters<typeof generateText>[0]): Promise<StreamedAnswer> {
  const result = await generateText(request);
  return {
    text: result.text,
    usage: result.usage,
    finishReason: result.finishReason,
    firstTextAt: undefined,
  };
}
