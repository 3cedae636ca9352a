/**
 * Provider records as the worker uses them: `name` as seen from a workspace → a model instance.
 * Decrypted keys live only inside the SDK provider instances cached here, keyed by record id and
 * version; `forget()` (called in every process when any process announces a change) drops them.
 * Built-in providers never come here, so the common path costs no statement at all; a record is
 * read once per process per change (or per `ttlMs`).
 */
import { isProviderKind } from '../../core/provider-names.ts';
import { type Keyring, open, SecretKeyError } from '../../core/secret-box.ts';
import type { Db } from '../../store/database.ts';
import { findProviderFor, type ProviderRow } from '../../store/providers.ts';
import { configError } from './model-call-error.ts';
import { type ModelInstance, modelFactory } from './model-factory.ts';

const DEFAULT_TTL_MS = 60_000;
const MAX_ENTRIES = 5_000;

export interface ProviderResolver {
  /** The model `modelId` of the provider `name` as agents of `workspaceId` see it. */
  model(workspaceId: string, name: string, modelId: string): Promise<ModelInstance>;
  /** A record changed or was removed somewhere: forget records and decrypted keys. */
  forget(): void;
}

export interface ProviderResolverOptions {
  find?: (workspaceId: string, name: string) => Promise<ProviderRow | null>;
  ttlMs?: number;
  now?: () => number;
}

/** `provider "acme" (workspace ws_1)`: how errors name a record, never with its key. */
export function recordLabel(row: Pick<ProviderRow, 'name' | 'workspaceId'>): string {
  return `provider "${row.name}" (${row.workspaceId === '' ? 'global' : `workspace ${row.workspaceId}`})`;
}

export function createProviderResolver(
  db: Db,
  keyring: Keyring,
  options: ProviderResolverOptions = {},
): ProviderResolver {
  const find =
    options.find ?? ((workspaceId: string, name: string) => findProviderFor(db, workspaceId, name));
  const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
  const now = options.now ?? Date.now;
  const records = new Map<string, { row: ProviderRow | null; until: number }>();
  const factories = new Map<string, (modelId: string) => ModelInstance>();
  const models = new Map<string, ModelInstance>();
  let generation = 0;

  async function record(workspaceId: string, name: string): Promise<ProviderRow | null> {
    const key = `${workspaceId}\u0000${name.toLowerCase()}`;
    const hit = records.get(key);
    if (hit && hit.until > now()) return hit.row;
    const seen = generation;
    const row = await find(workspaceId, name);
    if (seen === generation) {
      if (records.size >= MAX_ENTRIES) records.clear();
      records.set(key, { row, until: now() + ttl });
    }
    return row;
  }

  function factory(row: ProviderRow): (modelId: string) => ModelInstance {
    const key = `${row.id}:${row.version}`;
    const known = factories.get(key);
    if (known) return known;
    if (!isProviderKind(row.kind)) throw configError(`${recordLabel(row)} has an unknown kind "${row.kind}"`);
    let apiKey: string | undefined;
    if (row.keyCiphertext && row.keyId) {
      try {
        apiKey = open(keyring, row.id, { keyId: row.keyId, ciphertext: row.keyCiphertext }, recordLabel(row));
      } catch (error) {
        if (error instanceof SecretKeyError) throw configError(error.message);
        throw error;
      }
    }
    const made = modelFactory({ kind: row.kind, name: row.name, apiKey, baseUrl: row.baseUrl ?? undefined });
    factories.set(key, made);
    return made;
  }

  return {
    async model(workspaceId, name, modelId) {
      const row = await record(workspaceId, name);
      if (!row) {
        throw configError(
          `no provider named "${name}" here: add it with /agent provider add ${name}, or change the agent's model`,
        );
      }
      const key = `${row.id}:${row.version}:${modelId}`;
      const cached = models.get(key);
      if (cached) return cached;
      const model = factory(row)(modelId);
      if (models.size >= MAX_ENTRIES) models.clear();
      models.set(key, model);
      return model;
    },
    forget() {
      generation += 1;
      records.clear();
      factories.clear();
      models.clear();
    },
  };
}
