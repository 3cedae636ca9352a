/** `providers test`: one tiny call through a record, answered with latency or the error in plain words. */
import { callModel } from '../worker/llm-call.ts';
import { classifyModelError, type ModelCallErrorCode } from '../worker/providers/model-call-error.ts';
import type { ModelInstance } from '../worker/providers/model-factory.ts';

const PROBE_TIMEOUT_MS = 20_000;

const PLAIN: Partial<Record<ModelCallErrorCode, string>> = {
  auth: 'the provider refused the key',
  rate_limited: 'the provider is rate limiting this key',
  server_error: 'the provider had a server error',
  network: 'the provider could not be reached',
  timeout: 'the provider did not answer in time',
  not_found: 'the provider does not know this model',
  invalid_request: 'the provider refused the request',
  config: 'the provider is not set up right',
};

export type ProbeResult = { ok: true; latencyMs: number; reply: string } | { ok: false; error: string };

export async function probeModel(model: ModelInstance, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const startedAt = performance.now();
  try {
    const result = await callModel({
      model,
      messages: [{ role: 'user', content: 'Reply with the single word OK.' }],
      timeoutMs,
      maxOutputTokens: 16,
    });
    return {
      ok: true,
      latencyMs: Math.round(performance.now() - startedAt),
      reply: result.text.slice(0, 80),
    };
  } catch (error) {
    const failure = classifyModelError(error, { timedOut: false, cancelled: false, timeoutMs });
    const plain = PLAIN[failure.code] ?? 'the call failed';
    return { ok: false, error: `${plain}: ${failure.reason}` };
  }
}
