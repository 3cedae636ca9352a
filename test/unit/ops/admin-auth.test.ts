import { describe, expect, it } from 'vitest';
import {
  FailureThrottle,
  SESSION_TTL_MS,
  sessionKey,
  signSession,
  verifySession,
} from '../../../src/ops/admin-auth.ts';

const TOKEN = 'a-test-admin-token-of-32-characters!';
const key = sessionKey(TOKEN);
const T0 = 1_800_000_000_000;

describe('session cookies', () => {
  const good = signSession(key, T0, SESSION_TTL_MS, 'nonce');
  const [expires, nonce, sig] = good.split('.') as [string, string, string];
  const cases: [string, string, number, boolean][] = [
    ['a fresh session', good, T0, true],
    ['just before it expires', good, T0 + SESSION_TTL_MS - 1, true],
    ['once it expired', good, T0 + SESSION_TTL_MS, false],
    ['signed with another token', signSession(sessionKey(`${TOKEN}x`), T0), T0, false],
    ['a stretched expiry', `${Number(expires) + 1}.${nonce}.${sig}`, T0, false],
    ['another nonce', `${expires}.other.${sig}`, T0, false],
    ['no signature', `${expires}.${nonce}.`, T0, false],
    ['the raw token', TOKEN, T0, false],
    ['empty', '', T0, false],
    ['garbage expiry', `soon.${nonce}.${sig}`, T0, false],
  ];
  it.each(cases)('%s -> %s', (_name, value, now, valid) => {
    expect(verifySession(key, value, now)).toBe(valid);
  });

  it('never contains the token', () => {
    expect(good).not.toContain(TOKEN);
    expect(key.toString('utf8')).not.toContain(TOKEN);
  });
});

describe('FailureThrottle', () => {
  it('lets a client fail `capacity` times, then refuses it until a token comes back', () => {
    const t = new FailureThrottle({ capacity: 3, refillMs: 10_000 });
    for (let i = 0; i < 3; i++) {
      expect(t.check('1.2.3.4', T0)).toEqual({ ok: true });
      t.fail('1.2.3.4', T0);
    }
    expect(t.check('1.2.3.4', T0)).toEqual({ ok: false, retryAfterSeconds: 10 });
    expect(t.check('1.2.3.4', T0 + 4_000)).toEqual({ ok: false, retryAfterSeconds: 6 });
    expect(t.check('5.6.7.8', T0)).toEqual({ ok: true });
    expect(t.check('1.2.3.4', T0 + 10_000)).toEqual({ ok: true });
    t.fail('1.2.3.4', T0 + 10_000);
    expect(t.check('1.2.3.4', T0 + 10_000).ok).toBe(false);
  });

  it('forgets the longest idle clients past maxClients', () => {
    const t = new FailureThrottle({ capacity: 1, refillMs: 60_000, maxClients: 2 });
    t.fail('a', T0);
    t.fail('b', T0);
    t.fail('c', T0);
    expect(t.check('a', T0).ok).toBe(true);
    expect(t.check('b', T0).ok).toBe(false);
    expect(t.check('c', T0).ok).toBe(false);
  });
});
