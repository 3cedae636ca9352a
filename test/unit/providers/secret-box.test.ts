import { describe, expect, it } from 'vitest';
import { decodeSecretKey, type Keyring, open, SecretKeyError, seal } from '../../../src/core/secret-box.ts';
import { TEST_SECRETS } from '../../support/test-secrets.ts';

const first = decodeSecretKey(TEST_SECRETS.secretKey);
const second = decodeSecretKey(TEST_SECRETS.nextSecretKey);
if (!first || !second) throw new Error('test keys must decode');
const plaintext = TEST_SECRETS.anthropicApiKey;
const label = 'provider "team-claude" (workspace ws_1)';

describe('provider keys at rest (AES-256-GCM)', () => {
  it('round-trips under the current key, and the stored form does not contain the key', () => {
    const ring: Keyring = { current: first, previous: [] };
    const sealed = seal(ring, 'prv_1', plaintext);
    expect(sealed.keyId).toBe(first.id);
    expect(sealed.ciphertext).not.toContain(plaintext);
    expect(Buffer.from(sealed.ciphertext, 'base64').toString('latin1')).not.toContain('sk-ant');
    expect(open(ring, 'prv_1', sealed, label)).toBe(plaintext);
  });

  it('seals twice to different ciphertexts (a fresh IV each time)', () => {
    const ring: Keyring = { current: first, previous: [] };
    expect(seal(ring, 'prv_1', plaintext).ciphertext).not.toBe(seal(ring, 'prv_1', plaintext).ciphertext);
  });

  it('rotates across two keys: old records open through the previous key, new ones seal under the new', () => {
    const before: Keyring = { current: first, previous: [] };
    const old = seal(before, 'prv_1', plaintext);
    const during: Keyring = { current: second, previous: [first] };
    expect(open(during, 'prv_1', old, label)).toBe(plaintext);
    const resealed = seal(during, 'prv_1', open(during, 'prv_1', old, label));
    expect(resealed.keyId).toBe(second.id);
    const after: Keyring = { current: second, previous: [] };
    expect(open(after, 'prv_1', resealed, label)).toBe(plaintext);
    // A process still on the old key as current, with the new one listed as previous, reads both.
    const lagging: Keyring = { current: first, previous: [second] };
    expect(open(lagging, 'prv_1', resealed, label)).toBe(plaintext);
  });

  it('a record read with a wrong key fails with one line naming the record and the key id it needs', () => {
    const sealed = seal({ current: first, previous: [] }, 'prv_1', plaintext);
    const wrong: Keyring = { current: second, previous: [] };
    let error: unknown;
    try {
      open(wrong, 'prv_1', sealed, label);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SecretKeyError);
    const message = (error as Error).message;
    expect(message).toContain(label);
    expect(message).toContain(`secret key id ${first.id}`);
    expect(message).toContain('AGENT_BRIDGE_PREVIOUS_SECRET_KEYS');
    expect(message).not.toContain('\n');
    expect(message).not.toContain(TEST_SECRETS.secretKey);
    expect(message).not.toContain(TEST_SECRETS.nextSecretKey);
  });

  it('a ciphertext moved onto another record, or altered, does not open', () => {
    const ring: Keyring = { current: first, previous: [] };
    const sealed = seal(ring, 'prv_1', plaintext);
    expect(() => open(ring, 'prv_2', sealed, label)).toThrow(/does not decrypt under secret key id/);
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => open(ring, 'prv_1', { ...sealed, ciphertext: bytes.toString('base64') }, label)).toThrow(
      SecretKeyError,
    );
  });

  it('refuses to seal without AGENT_BRIDGE_SECRET_KEY, saying how to make one', () => {
    expect(() => seal({ current: undefined, previous: [] }, 'prv_1', plaintext)).toThrow(
      /AGENT_BRIDGE_SECRET_KEY="\$\(openssl rand -base64 32\)"/,
    );
  });

  it.each([
    ['', false],
    ['short', false],
    [Buffer.alloc(31).toString('base64'), false],
    [Buffer.alloc(33).toString('base64'), false],
    [Buffer.alloc(32, 7).toString('base64'), true],
    [Buffer.alloc(32, 7).toString('base64url'), true],
    ['not base64 at all!!', false],
  ])('decodes %j as a key: %s', (raw, valid) => {
    expect(decodeSecretKey(raw) !== undefined).toBe(valid);
  });
});
