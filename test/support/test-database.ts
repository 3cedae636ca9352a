/**
 * A fresh, migrated database for one test file, cloned from the run's template.
 *   for (const provider of providers) describe(provider, () => { const t = useTestDatabase(provider); … })
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { type Database, openDatabase } from '../../src/store/database.ts';
import { openHotStore } from '../../src/store/hot/open.ts';
import type { HotStore } from '../../src/store/hot/types.ts';
import { adminPostgresUrl, postgresUrlFor } from './postgres-url.ts';

export const providers = ['sqlite', 'postgresql'] as const;
export type Provider = (typeof providers)[number];

export interface TestDatabase extends Database {
  url: string;
  /** The per-message store on the same database. */
  hot: HotStore;
  drop(): Promise<void>;
}

export async function createTestDatabase(provider: Provider): Promise<TestDatabase> {
  const suffix = `${randomBytes(4).toString('hex')}_${inject('runId')}`;
  if (provider === 'sqlite') {
    const file = join(tmpdir(), `ab_${suffix}.db`);
    copyFileSync(inject('sqliteTemplate'), file);
    const url = `file:${file}`;
    const database = await openDatabase(url);
    const hot = openHotStore(url);
    const close = async () => {
      await hot.close();
      await database.close();
    };
    return {
      ...database,
      url,
      hot,
      close,
      async drop() {
        await close();
        for (const ext of ['', '-wal', '-shm']) rmSync(`${file}${ext}`, { force: true });
      },
    };
  }
  const name = `ab_${suffix}`;
  await withAdmin((admin) =>
    admin.query(`CREATE DATABASE "${name}" TEMPLATE "${inject('postgresTemplate')}"`),
  );
  const url = postgresUrlFor(name);
  const database = await openDatabase(url);
  const hot = openHotStore(url);
  const close = async () => {
    await hot.close();
    await database.close();
  };
  return {
    ...database,
    url,
    hot,
    close,
    async drop() {
      await close();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** Registers beforeAll/afterAll hooks; read `.current` inside tests. */
export function useTestDatabase(provider: Provider): { current: TestDatabase } {
  const holder = {} as { current: TestDatabase };
  beforeAll(async () => {
    holder.current = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await holder.current?.drop();
  });
  return holder;
}

/**
 * A fresh database for each test: for tests whose sweeper must see only what the test itself left
 * (every harness's sweeper looks at the whole database). Register it before the afterEach that
 * closes the harness: after-hooks run in reverse order, so the harness closes before the drop.
 */
export function useFreshTestDatabase(provider: Provider): { current: TestDatabase } {
  const holder = {} as { current: TestDatabase };
  beforeEach(async () => {
    holder.current = await createTestDatabase(provider);
  });
  afterEach(async () => {
    await holder.current?.drop();
  });
  return holder;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminPostgresUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
