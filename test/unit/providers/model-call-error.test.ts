import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs, redactSecrets } from '../../../src/worker/providers/model-call-error.ts';

const retryInfoBody = (retryDelay: string): string =>
  JSON.stringify({
    error: {
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }],
    },
  });

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');

  it.each([
    ['retry-after seconds', { 'retry-after': '3' }, undefined, 3_000],
    ['retry-after fractional seconds', { 'Retry-After': '1.5' }, undefined, 1_500],
    ['retry-after HTTP-date', { 'retry-after': 'Tue, 24 Nov 2026 12:00:05 GMT' }, undefined, 5_000],
    ['retry-after date in the past', { 'retry-after': 'Tue, 24 Nov 2026 11:00:00 GMT' }, undefined, 0],
    ['retry-after-ms wins', { 'retry-after-ms': '250', 'retry-after': '3' }, undefined, 250],
    ['Gemini RetryInfo in the body', {}, retryInfoBody('7s'), 7_000],
    ['fractional RetryInfo', undefined, retryInfoBody('0.5s'), 500],
    ['header wins over body', { 'retry-after': '1' }, retryInfoBody('7s'), 1_000],
    ['garbage header, no body', { 'retry-after': 'soon' }, undefined, undefined],
    ['non-JSON body', {}, '<html>', undefined],
    ['nothing', undefined, undefined, undefined],
  ])('%s', (_label, headers, body, expected) => {
    expect(parseRetryAfterMs(headers as Record<string, string> | undefined, body, now)).toBe(expected);
  });
});

describe('redactSecrets', () => {
  it.each([
    ['key AIzaSyA1234567890abcdefghijklmnopqrstu rejected', 'key [redacted] rejected'],
    ['Authorization: Bearer abc.def-123', 'Authorization: Bearer [redacted]'],
    ['GET /v1?key=supersecret&x=1', 'GET /v1?key=[redacted]&x=1'],
    ['token sk-proj-abcdefgh12345', 'token [redacted]'],
    ['nothing secret here', 'nothing secret here'],
  ])('%j', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });
});
