import {
  APICallError,
  InvalidArgumentError,
  InvalidPromptError,
  LoadAPIKeyError,
  NoSuchModelError,
} from 'ai';

export type ModelCallErrorKind = 'retryable' | 'fatal';

export type ModelCallErrorCode =
  | 'timeout'
  | 'aborted'
  | 'network'
  | 'rate_limited'
  | 'server_error'
  | 'auth'
  | 'invalid_request'
  | 'not_found'
  | 'empty_response'
  | 'content_filtered'
  | 'config'
  | 'unknown';

export interface ModelCallErrorInit {
  kind: ModelCallErrorKind;
  code: ModelCallErrorCode;
  /** Short, user-safe explanation: never contains a key or the request body. */
  reason: string;
  statusCode?: number;
  retryAfterMs?: number;
}

/**
 * The one error the model layer throws. The raw SDK error is deliberately NOT kept as `cause`:
 * APICallError carries the whole request body (the conversation) and would end up in logs.
 */
export class ModelCallError extends Error {
  override readonly name = 'ModelCallError';
  readonly kind: ModelCallErrorKind;
  readonly code: ModelCallErrorCode;
  readonly reason: string;
  readonly statusCode?: number;
  readonly retryAfterMs?: number;

  constructor(init: ModelCallErrorInit) {
    super(init.reason);
    this.kind = init.kind;
    this.code = init.code;
    this.reason = init.reason;
    if (init.statusCode !== undefined) this.statusCode = init.statusCode;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }

  get retryable(): boolean {
    return this.kind === 'retryable';
  }
}

export function isModelCallError(error: unknown): error is ModelCallError {
  return (
    error instanceof ModelCallError ||
    (error instanceof Error && error.name === 'ModelCallError' && 'kind' in error && 'code' in error)
  );
}

const MAX_PROVIDER_MESSAGE_CHARS = 200;

/** Strips anything that looks like a credential from provider-supplied text. */
export function redactSecrets(text: string): string {
  return text
    .replace(/AIza[0-9A-Za-z_-]{10,}/g, '[redacted]')
    .replace(/\bsk-[0-9A-Za-z_-]{8,}/g, '[redacted]')
    .replace(/(bearer\s+)[^\s"']+/gi, '$1[redacted]')
    .replace(/([?&](?:key|api_key|apikey)=)[^&\s"']+/gi, '$1[redacted]');
}

function providerMessage(text: string): string {
  const oneLine = redactSecrets(text).replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_PROVIDER_MESSAGE_CHARS
    ? `${oneLine.slice(0, MAX_PROVIDER_MESSAGE_CHARS)}…`
    : oneLine;
}

/** `"7s"` / `"1.5s"` (protobuf Duration JSON) → milliseconds. */
function parseDurationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) * 1000);
}

function retryInfoDelayMs(responseBody: string | undefined): number | undefined {
  if (!responseBody) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(responseBody);
  } catch {
    return undefined;
  }
  const details = (parsed as { error?: { details?: unknown } } | null)?.error?.details;
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const entry = detail as { '@type'?: unknown; retryDelay?: unknown } | null;
    if (typeof entry?.['@type'] === 'string' && entry['@type'].endsWith('google.rpc.RetryInfo')) {
      const ms = parseDurationMs(entry.retryDelay);
      if (ms !== undefined) return ms;
    }
  }
  return undefined;
}

/**
 * How long the provider asked us to wait: `retry-after-ms`, then `retry-after` (seconds or an
 * HTTP-date), then Gemini's RetryInfo `retryDelay` in the error body.
 */
export function parseRetryAfterMs(
  headers: Record<string, string> | undefined,
  responseBody: string | undefined,
  now: number = Date.now(),
): number | undefined {
  const lower = Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const headerMs = lower['retry-after-ms'];
  if (headerMs !== undefined && /^\d+(\.\d+)?$/.test(headerMs.trim())) return Math.round(Number(headerMs));
  const retryAfter = lower['retry-after']?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  return retryInfoDelayMs(responseBody);
}

function isApiKeyRejection(error: APICallError): boolean {
  return /api key/i.test(error.message) || /API_KEY_INVALID/.test(error.responseBody ?? '');
}

function classifyApiCallError(error: APICallError): ModelCallError {
  const status = error.statusCode;
  const detail = providerMessage(error.message);
  if (status === undefined) {
    // No HTTP answer at all: the SDK wraps connection failures as retryable APICallErrors.
    return new ModelCallError({
      kind: error.isRetryable ? 'retryable' : 'fatal',
      code: 'network',
      reason: `could not reach the model provider: ${detail}`,
    });
  }
  const base = { statusCode: status, reason: `model provider answered HTTP ${status}: ${detail}` };
  if (status === 429) {
    const retryAfterMs = parseRetryAfterMs(error.responseHeaders, error.responseBody);
    return new ModelCallError({
      ...base,
      kind: 'retryable',
      code: 'rate_limited',
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status === 408) return new ModelCallError({ ...base, kind: 'retryable', code: 'timeout' });
  if (status === 409 || status >= 500)
    return new ModelCallError({ ...base, kind: 'retryable', code: 'server_error' });
  if (status === 401 || status === 403 || (status === 400 && isApiKeyRejection(error))) {
    return new ModelCallError({ ...base, kind: 'fatal', code: 'auth' });
  }
  if (status === 404) return new ModelCallError({ ...base, kind: 'fatal', code: 'not_found' });
  if (status >= 400 && status < 500)
    return new ModelCallError({ ...base, kind: 'fatal', code: 'invalid_request' });
  return new ModelCallError({ ...base, kind: error.isRetryable ? 'retryable' : 'fatal', code: 'unknown' });
}

export interface FailureContext {
  /** Our own timer fired. */
  timedOut: boolean;
  /** The caller's signal aborted the call (shutdown, job cancelled). */
  cancelled: boolean;
  timeoutMs: number;
}

/** Maps anything `generateText` can throw onto retryable / fatal. */
export function classifyModelError(error: unknown, context: FailureContext): ModelCallError {
  if (isModelCallError(error)) return error;
  if (context.timedOut) {
    return new ModelCallError({
      kind: 'retryable',
      code: 'timeout',
      reason: `model call timed out after ${context.timeoutMs} ms`,
    });
  }
  if (context.cancelled) {
    // Retryable: a cancelled call (e.g. worker shutdown) says nothing about the request itself.
    return new ModelCallError({ kind: 'retryable', code: 'aborted', reason: 'model call was cancelled' });
  }
  if (APICallError.isInstance(error)) return classifyApiCallError(error);
  if (LoadAPIKeyError.isInstance(error)) {
    return new ModelCallError({ kind: 'fatal', code: 'config', reason: 'model provider API key is not set' });
  }
  if (NoSuchModelError.isInstance(error)) {
    return new ModelCallError({ kind: 'fatal', code: 'not_found', reason: 'unknown model' });
  }
  if (InvalidPromptError.isInstance(error) || InvalidArgumentError.isInstance(error)) {
    return new ModelCallError({
      kind: 'fatal',
      code: 'invalid_request',
      reason: `invalid model request: ${providerMessage(error.message)}`,
    });
  }
  // Anything else (malformed provider answer, unexpected SDK error) is treated as transient:
  // the queue's bounded attempts cap the cost of being wrong.
  const detail = error instanceof Error ? `${error.name}: ${providerMessage(error.message)}` : typeof error;
  return new ModelCallError({ kind: 'retryable', code: 'unknown', reason: `model call failed (${detail})` });
}

/** A configuration problem (a bad spec, a missing key, an unreadable record): retrying cannot fix it. */
export function configError(reason: string): ModelCallError {
  return new ModelCallError({ kind: 'fatal', code: 'config', reason });
}
