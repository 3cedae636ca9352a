/**
 * Provider keys at rest: AES-256-GCM under AGENT_BRIDGE_SECRET_KEY (32 bytes, base64). A sealed
 * value records the id of the key that sealed it, so a process can hold the current key and the
 * previous ones (AGENT_BRIDGE_PREVIOUS_SECRET_KEYS) while `agent-bridge secrets rotate` re-seals
 * every record: no moment where a running process cannot read a record.
 *
 * The record's id is the additional authenticated data: a ciphertext copied onto another record
 * does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** The one line that says how to make a key (used wherever one is missing). */
export const MAKE_SECRET_KEY_HINT =
  'set AGENT_BRIDGE_SECRET_KEY to 32 random bytes in base64, e.g. AGENT_BRIDGE_SECRET_KEY="$(openssl rand -base64 32)"';

export interface SecretKey {
  /** First 8 hex characters of the key's SHA-256: names the key without revealing it. */
  id: string;
  bytes: Buffer;
}

export interface Sealed {
  keyId: string;
  /** base64 of iv | tag | ciphertext */
  ciphertext: string;
}

export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

/** A base64 (or base64url) string of exactly 32 bytes → the key, or undefined. */
export function decodeSecretKey(raw: string): SecretKey | undefined {
  const text = raw.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== KEY_BYTES) return undefined;
  return { id: secretKeyId(bytes), bytes };
}

export function secretKeyId(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 8);
}

/** The current key (seals) and the previous ones (open only). */
export interface Keyring {
  current: SecretKey | undefined;
  previous: readonly SecretKey[];
}

export function keyringHas(keyring: Keyring, keyId: string): boolean {
  return keyring.current?.id === keyId || keyring.previous.some((key) => key.id === keyId);
}

export function seal(keyring: Keyring, recordId: string, plaintext: string): Sealed {
  const key = keyring.current;
  if (!key) throw new SecretKeyError(`cannot store a provider key: ${MAKE_SECRET_KEY_HINT}`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key.bytes, iv);
  cipher.setAAD(Buffer.from(recordId, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    keyId: key.id,
    ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64'),
  };
}

/**
 * Opens a sealed value. `label` names the record in the error (e.g. `provider "acme" (T123)`),
 * which says which key id it needs: never the key itself.
 */
export function open(keyring: Keyring, recordId: string, sealed: Sealed, label: string): string {
  const key = [keyring.current, ...keyring.previous].find((k) => k?.id === sealed.keyId);
  if (!key) {
    const have = [keyring.current, ...keyring.previous]
      .filter((k): k is SecretKey => k !== undefined)
      .map((k) => k.id);
    throw new SecretKeyError(
      `${label} is encrypted under secret key id ${sealed.keyId}, which this process does not have (it has ${have.length > 0 ? have.join(', ') : 'none'}): set AGENT_BRIDGE_SECRET_KEY or AGENT_BRIDGE_PREVIOUS_SECRET_KEYS to that key`,
    );
  }
  const raw = Buffer.from(sealed.ciphertext, 'base64');
  try {
    const decipher = createDecipheriv(ALGORITHM, key.bytes, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(recordId, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SecretKeyError(
      `${label} does not decrypt under secret key id ${sealed.keyId}: the stored value was altered or belongs to another record`,
    );
  }
}

/** What may be shown of a key: its last 4 characters. */
export function keyHint(key: string): string {
  return key.length <= 8 ? '…' : `…${key.slice(-4)}`;
}
