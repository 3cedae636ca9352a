/**
 * The one Prisma client. SQLite and PostgreSQL each have a generated client (the query compiler is
 * provider-specific); both come from the same models, so the rest of the code uses one type.
 */

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as PostgresClient } from '../generated/postgresql/client.ts';
import { PrismaClient as SqliteClient } from '../generated/sqlite/client.ts';
import { type DatabaseTarget, databaseTarget } from './database-url.ts';

export type Db = SqliteClient;
export type { Prisma } from '../generated/sqlite/client.ts';
/** The client handed to `$transaction(async (tx) => …)` callbacks. */
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  target: DatabaseTarget;
  close(): Promise<void>;
}

export async function openDatabase(url: string): Promise<Database> {
  const target = databaseTarget(url);
  let db: Db;
  if (target.provider === 'sqlite') {
    mkdirSync(dirname(target.file), { recursive: true });
    db = new SqliteClient({
      adapter: new PrismaBetterSQLite3({ url: `file:${target.file}`, timeout: 5000 }),
    });
    // WAL lets readers (the gateway) and the writer (workers) work side by side.
    await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  } else {
    const { provider: _provider, schema, ...pool } = target;
    const adapter = new PrismaPg(
      { ...pool, max: 10, connectionTimeoutMillis: 3000 },
      schema ? { schema } : undefined,
    );
    db = new PostgresClient({ adapter }) as unknown as Db;
  }
  return { db, target, close: () => db.$disconnect() };
}
