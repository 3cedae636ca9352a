/** Opens the hot store for DATABASE_URL (the same database Prisma migrates and reads). */
import { databaseTarget } from '../database-url.ts';
import { withCleanText } from './clean.ts';
import { openPostgresHotStore } from './postgres.ts';
import { openSqliteHotStore } from './sqlite.ts';
import type { HotStore, StatementObserver } from './types.ts';

export interface HotStoreOptions {
  /** Sees every statement (BEGIN and COMMIT included): budget tests and traces. */
  onStatement?: StatementObserver;
}

export function openHotStore(databaseUrl: string, options: HotStoreOptions = {}): HotStore {
  const target = databaseTarget(databaseUrl);
  // Every text it writes is cleaned first (no NUL, no lone surrogates, a length cap).
  return withCleanText(
    target.provider === 'sqlite'
      ? openSqliteHotStore({ file: target.file, onStatement: options.onStatement })
      : openPostgresHotStore({ target, onStatement: options.onStatement }),
  );
}

export type * from './types.ts';
export { StoreBusyError } from './types.ts';
