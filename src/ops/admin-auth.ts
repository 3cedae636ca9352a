/**
 * The admin surface's decisions, free of I/O: what a valid session cookie is, whether a presented
 * token matches, and how often one client may get it wrong.
 *
 * The session cookie never holds ADMIN_TOKEN: it is `<expires ms>.<nonce>.<HMAC-SHA256>` under a key
 * derived from the token, so changing ADMIN_TOKEN ends every session, and a leaked cookie expires.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** The key sessions are signed with: derived from the token, never the token itself. */
export function sessionKey(adminToken: string): Buffer {
  return createHmac('sha256', adminToken).update('agent-bridge admin session v1').digest();
}

export function signSession(
  key: Buffer,
  now: number,
  ttlMs: number = SESSION_TTL_MS,
  nonce = randomBytes(12).toString('base64url'),
): string {
  const payload = `${now + ttlMs}.${nonce}`;
  return `${payload}.${mac(key, payload)}`;
}

/** True for a cookie value this key signed that has not expired. */
export function verifySession(key: Buffer, value: string, now: number): boolean {
  const parts = value.split('.');
  if (parts.length !== 3) return false;
  const [expires, nonce, signature] = parts as [string, string, string];
  if (!/^\d{1,15}$/.test(expires) || Number(expires) <= now || nonce === '') return false;
  return sameSecret(signature, mac(key, `${expires}.${nonce}`));
}

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

/** Constant-time for equal lengths; a length mismatch says only that it is wrong. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface ThrottleOptions {
  /** Failures allowed in a burst [10]. */
  capacity?: number;
  /** One failure is forgiven every this many ms [6000: 10 a minute]. */
  refillMs?: number;
  /** Clients remembered at most; the longest idle are forgotten first [10000]. */
  maxClients?: number;
}

export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * A token bucket of failed attempts per client: each failure takes a token, tokens come back one per
 * `refillMs`. An empty bucket refuses the client (before its attempt is even checked) until one
 * comes back. Successes cost nothing.
 */
export class FailureThrottle {
  private readonly capacity: number;
  private readonly refillMs: number;
  private readonly maxClients: number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: ThrottleOptions = {}) {
    this.capacity = options.capacity ?? 10;
    this.refillMs = options.refillMs ?? 6000;
    this.maxClients = options.maxClients ?? 10_000;
  }

  /** May this client try now? */
  check(client: string, now: number): ThrottleVerdict {
    const tokens = this.tokens(client, now);
    if (tokens >= 1) return { ok: true };
    const waitMs = (1 - tokens) * this.refillMs;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** This client just got it wrong. */
  fail(client: string, now: number): void {
    const tokens = Math.max(0, this.tokens(client, now) - 1);
    this.buckets.delete(client);
    if (this.buckets.size >= this.maxClients) {
      this.buckets.delete(this.buckets.keys().next().value as string);
    }
    this.buckets.set(client, { tokens, at: now });
  }

  private tokens(client: string, now: number): number {
    const bucket = this.buckets.get(client);
    if (!bucket) return this.capacity;
    return Math.min(this.capacity, bucket.tokens + (now - bucket.at) / this.refillMs);
  }
}
