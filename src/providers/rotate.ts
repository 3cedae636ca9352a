/**
 * `agent-bridge secrets rotate`: every record sealed under an older key is opened with it and
 * sealed again under the current one. Processes that still run with the old key as current keep
 * working as long as the new key is in their AGENT_BRIDGE_PREVIOUS_SECRET_KEYS (docs/operations.md).
 */

import { type Keyring, MAKE_SECRET_KEY_HINT, open, SecretKeyError, seal } from '../core/secret-box.ts';
import type { Db } from '../store/database.ts';
import { listProviders, resealProvider } from '../store/providers.ts';
import { recordLabel } from '../worker/providers/resolver.ts';

export interface RotationResult {
  keyId: string;
  resealed: number;
  current: number;
  /** One line per record that could not be opened: names it and the key id it needs. */
  failed: string[];
}

export async function rotateProviderKeys(db: Db, keyring: Keyring): Promise<RotationResult> {
  const current = keyring.current;
  if (!current) throw new SecretKeyError(`cannot rotate: ${MAKE_SECRET_KEY_HINT}`);
  const result: RotationResult = { keyId: current.id, resealed: 0, current: 0, failed: [] };
  for (const row of await listProviders(db)) {
    if (!row.keyCiphertext || !row.keyId) continue;
    if (row.keyId === current.id) {
      result.current += 1;
      continue;
    }
    try {
      const key = open(
        keyring,
        row.id,
        { keyId: row.keyId, ciphertext: row.keyCiphertext },
        recordLabel(row),
      );
      await resealProvider(db, row.id, seal(keyring, row.id, key));
      result.resealed += 1;
    } catch (error) {
      if (!(error instanceof SecretKeyError)) throw error;
      result.failed.push(error.message);
    }
  }
  return result;
}
