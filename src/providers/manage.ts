/**
 * Managing provider records, shared by `agent-bridge providers …` and `/agent provider …`: input
 * checks, add, remove (refused while agents use the record), and how a record is described. Every
 * answer is plain words; a key is never part of one (only its last 4 characters).
 */
import {
  isProviderKind,
  PROVIDER_KINDS,
  type ProviderKind,
  providerNameProblem,
} from '../core/provider-names.ts';
import { type Keyring, MAKE_SECRET_KEY_HINT } from '../core/secret-box.ts';
import type { Db } from '../store/database.ts';
import {
  agentsUsingProvider,
  deleteProvider,
  findProviderIn,
  GLOBAL_SCOPE,
  insertProvider,
  ProviderNameTakenError,
  type ProviderRow,
} from '../store/providers.ts';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** What a record answers with when an agent names only the provider, and what `test` calls. */
export const DEFAULT_MODELS: Record<ProviderKind, string | undefined> = {
  google: 'gemini-2.5-flash',
  openai: 'gpt-4.1-mini',
  anthropic: 'claude-sonnet-4-5',
  'openai-compatible': undefined,
};

export interface ProviderInput {
  name: string;
  kind: string;
  baseUrl?: string | undefined;
  defaultModel?: string | undefined;
  apiKey?: string | undefined;
}

export interface CheckedProvider {
  name: string;
  kind: ProviderKind;
  baseUrl?: string;
  defaultModel: string;
  apiKey?: string;
}

/** Checks the input before anything is written. Pure. */
export function checkProviderInput(
  input: ProviderInput,
  keyring: Pick<Keyring, 'current'>,
): Outcome<CheckedProvider> {
  const name = input.name.trim();
  const nameProblem = providerNameProblem(name);
  if (nameProblem) return { ok: false, error: nameProblem };
  const kind = input.kind.trim().toLowerCase();
  if (!isProviderKind(kind)) {
    return {
      ok: false,
      error: `kind must be one of ${PROVIDER_KINDS.join(', ')} (got "${kind.slice(0, 40)}")`,
    };
  }
  const baseUrl = input.baseUrl?.trim().replace(/\/+$/, '') || undefined;
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) {
    return { ok: false, error: 'base URL must be an http(s) URL, e.g. https://api.anthropic.com/v1' };
  }
  if (kind === 'openai-compatible' && !baseUrl) {
    return {
      ok: false,
      error: 'an openai-compatible provider needs a base URL, e.g. http://127.0.0.1:11434/v1',
    };
  }
  const defaultModel = input.defaultModel?.trim() || DEFAULT_MODELS[kind];
  if (!defaultModel) return { ok: false, error: `name a default model for ${name}, e.g. model=llama3.2` };
  if (/\s/.test(defaultModel) || defaultModel.length > 200) {
    return { ok: false, error: 'the default model is a model id without spaces, e.g. claude-sonnet-4-5' };
  }
  const apiKey = input.apiKey?.trim() || undefined;
  if (apiKey && /\s/.test(apiKey))
    return { ok: false, error: 'the key must not contain spaces or line breaks' };
  if (!apiKey && kind !== 'openai-compatible')
    return { ok: false, error: `a ${kind} provider needs an API key` };
  if (apiKey && !keyring.current) return { ok: false, error: `cannot store a key: ${MAKE_SECRET_KEY_HINT}` };
  return {
    ok: true,
    value: {
      name,
      kind,
      defaultModel,
      ...(baseUrl && { baseUrl }),
      ...(apiKey && { apiKey }),
    },
  };
}

export async function addProvider(
  db: Db,
  keyring: Keyring,
  workspaceId: string,
  input: CheckedProvider,
  creator: { id?: string | undefined; label: string },
): Promise<Outcome<ProviderRow>> {
  try {
    const row = await insertProvider(
      db,
      { ...input, workspaceId, createdById: creator.id, createdByLabel: creator.label },
      keyring,
    );
    return { ok: true, value: row };
  } catch (error) {
    if (error instanceof ProviderNameTakenError) return { ok: false, error: error.message };
    throw error;
  }
}

/** Removes the record of exactly this scope; refused, naming them, while agents use it. */
export async function removeProvider(
  db: Db,
  workspaceId: string,
  name: string,
): Promise<Outcome<ProviderRow>> {
  const row = await findProviderIn(db, workspaceId, name);
  if (!row) return { ok: false, error: `No provider named ${name.slice(0, 40)} ${scopeWords(workspaceId)}.` };
  const users = await agentsUsingProvider(db, row);
  if (users.length > 0) {
    const names = users.map((agent) => agent.name).slice(0, 20);
    const more = users.length > names.length ? ` and ${users.length - names.length} more` : '';
    return {
      ok: false,
      error: `${row.name} is in use by ${names.join(', ')}${more}: change their model first (edit NAME model=...).`,
    };
  }
  await deleteProvider(db, row.id);
  return { ok: true, value: row };
}

export function scopeWords(workspaceId: string): string {
  return workspaceId === GLOBAL_SCOPE ? 'among the global providers' : 'in this workspace';
}

/** The key as it may be shown: its last 4 characters. */
export function keyShown(row: Pick<ProviderRow, 'keyLast4' | 'keyId'>): string {
  return row.keyLast4 ? `…${row.keyLast4} (secret key id ${row.keyId ?? '?'})` : 'none';
}

/** label/value pairs describing a record (show, list, the CLI). */
export function describeProvider(row: ProviderRow): Array<{ label: string; value: string }> {
  return [
    { label: 'Name', value: row.name },
    { label: 'Scope', value: row.workspaceId === GLOBAL_SCOPE ? 'global' : 'this workspace' },
    { label: 'Kind', value: row.kind },
    { label: 'Base URL', value: row.baseUrl ?? 'default' },
    { label: 'Default model', value: `${row.name}:${row.defaultModel}` },
    { label: 'Key', value: keyShown(row) },
    { label: 'Created', value: `${row.createdAt.toISOString()} by ${row.createdByLabel}` },
  ];
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.password === ''
    );
  } catch {
    return false;
  }
}
