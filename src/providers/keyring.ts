/** The keyring a process runs with, from AGENT_BRIDGE_SECRET_KEY and AGENT_BRIDGE_PREVIOUS_SECRET_KEYS. */
import type { Config } from '../config.ts';
import { decodeSecretKey, type Keyring, type SecretKey } from '../core/secret-box.ts';

export function keyringOf(config: Pick<Config, 'secretKey' | 'previousSecretKeys'>): Keyring {
  const current = config.secretKey ? decodeSecretKey(config.secretKey) : undefined;
  const previous = config.previousSecretKeys
    .map((raw) => decodeSecretKey(raw))
    .filter((key): key is SecretKey => key !== undefined && key.id !== current?.id);
  return { current, previous };
}
