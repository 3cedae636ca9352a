/** Google's error JSON for the fake Gemini server, shaped like the real API's answers. */

/** A Google error JSON; 429 adds QuotaFailure + RetryInfo(`retryDelay`, default "2s") and Retry-After. */
export interface GeminiErrorStep {
  status: number;
  message?: string;
  retryDelay?: string | null;
  /** Retry-After header for a 429; default: the retryDelay in whole seconds; null: none. */
  retryAfter?: string | null;
  headers?: Record<string, string>;
  delayMs?: number;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Request contains an invalid argument.',
  429: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  503: 'The model is overloaded. Please try again later.',
  504: 'The request timed out. Please try again.',
};

export function googleErrorBody(status: number, message: string, details?: unknown[]): unknown {
  return {
    error: {
      code: status,
      message,
      status: STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
      ...(details ? { details } : {}),
    },
  };
}

export const INVALID_KEY_BODY = googleErrorBody(400, 'API key not valid. Please pass a valid API key.', [
  {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'API_KEY_INVALID',
    domain: 'googleapis.com',
    metadata: { service: 'generativelanguage.googleapis.com' },
  },
  {
    '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
    locale: 'en-US',
    message: 'API key not valid. Please pass a valid API key.',
  },
]);

// What the real API answers when no key is sent at all.
export const MISSING_KEY_BODY = googleErrorBody(
  403,
  "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
);

export function errorResponse(step: GeminiErrorStep): {
  body: unknown;
  headers: Record<string, string>;
} {
  const message = step.message ?? DEFAULT_MESSAGES[step.status] ?? `Fake error ${step.status}`;
  if (step.status !== 429)
    return { body: googleErrorBody(step.status, message), headers: step.headers ?? {} };
  const retryDelay = step.retryDelay === undefined ? '2s' : step.retryDelay;
  const details: unknown[] = [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
          quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          quotaValue: '10',
        },
      ],
    },
    ...(retryDelay === null ? [] : [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }]),
  ];
  const fromDelay = retryDelay === null ? undefined : String(Math.ceil(Number.parseFloat(retryDelay)));
  const retryAfter = step.retryAfter === undefined ? fromDelay : (step.retryAfter ?? undefined);
  return {
    body: googleErrorBody(429, message, details),
    headers: { ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }), ...step.headers },
  };
}
