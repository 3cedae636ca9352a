import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { databaseTarget } from '../../src/store/database-url.ts';
import {
  type AppliedMigration,
  compareMigrations,
  localMigrations,
  migrateDatabase,
  pendingReason,
} from '../../src/store/migrate.ts';
import { adminPostgresUrl, postgresUrlFor } from '../support/postgres-url.ts';
import { createTestDatabase, providers } from '../support/test-database.ts';

const repo = join(import.meta.dirname, '..', '..');

const expectedTables = [
  'agent_audit',
  'agent_conversation_context',
  'agent_view_greetings',
  'agents',
  'channel_agents',
  'conversations',
  'jobs',
  'llm_messages',
  'messages',
  'providers',
  'reply_feedback',
  'users',
  'workspaces',
];

describe('schema source', () => {
  it('the two provider schemas are rendered from prisma/models.prisma without drift', () => {
    // Exits non-zero (and the call throws) when a rendered schema differs from its source.
    expect(() => execFileSync(process.execPath, ['scripts/render-schemas.mjs', '--check'])).not.toThrow();
  });
});

describe('migrations apply to empty databases', () => {
  it('SQLite: creates every table, and a second run applies nothing', async () => {
    const file = join(tmpdir(), `ab_migrate_${inject('runId')}.db`);
    try {
      const first = await migrateDatabase(`file:${file}`);
      expect(first.applied.length).toBeGreaterThan(0);
      expect(first).toMatchObject({ via: 'prisma', reason: 'the database is new' });
      // Up to date: the driver says so, Prisma is not spawned.
      expect(await migrateDatabase(`file:${file}`)).toEqual({ applied: [], via: 'check' });
      // What Prisma recorded is what the check compares with: sha256 of each migration.sql.
      const sqlite = new Sqlite(file, { readonly: true });
      const recorded = sqlite.prepare('SELECT migration_name, checksum FROM _prisma_migrations').all();
      sqlite.close();
      expect(recorded).toEqual(
        localMigrations(join(repo, 'prisma', 'sqlite', 'migrations')).map((m) => ({
          migration_name: m.name,
          checksum: m.checksum,
        })),
      );
      const { db, close } = await openDatabase(`file:${file}`);
      const rows = await db.$queryRawUnsafe<{ name: string }[]>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name",
      );
      await close();
      expect(rows.map((r) => r.name)).toEqual(expectedTables);
    } finally {
      for (const ext of ['', '-wal', '-shm']) rmSync(`${file}${ext}`, { force: true });
    }
  });

  it('PostgreSQL: creates every table with its indexes, and a second run applies nothing', async () => {
    const name = `ab_migrate_${inject('runId')}`;
    const admin = new pg.Client({ connectionString: adminPostgresUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
      const first = await migrateDatabase(postgresUrlFor(name));
      expect(first.applied.length).toBeGreaterThan(0);
      expect(first).toMatchObject({ via: 'prisma', reason: 'the database is new' });
      expect(await migrateDatabase(postgresUrlFor(name))).toEqual({ applied: [], via: 'check' });
      const client = new pg.Client({ connectionString: postgresUrlFor(name) });
      await client.connect();
      const recorded = await client.query('SELECT migration_name, checksum FROM _prisma_migrations');
      expect(recorded.rows).toEqual(
        localMigrations(join(repo, 'prisma', 'postgresql', 'migrations')).map((m) => ({
          migration_name: m.name,
          checksum: m.checksum,
        })),
      );
      const tables = await client.query<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_%' ORDER BY tablename",
      );
      const indexes = await client.query<{ indexdef: string }>(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'",
      );
      await client.end();
      expect(tables.rows.map((r) => r.tablename)).toEqual(expectedTables);
      const defs = indexes.rows.map((r) => r.indexdef).join('\n');
      // The hot paths: last N messages of a conversation, a message by platform id, jobs by status.
      expect(defs).toMatch(/ON public\.messages USING btree \("conversationId", id\)/);
      expect(defs).toMatch(
        /UNIQUE INDEX .* ON public\.messages USING btree \("conversationId", "platformMessageId"\)/,
      );
      expect(defs).toMatch(/ON public\.jobs USING btree \(status, "createdAt"\)/);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});

describe('the up-to-date check', () => {
  const local = [
    { name: '20260101000000_init', checksum: 'a' },
    { name: '20260201000000_more', checksum: 'b' },
  ];
  const row = (name: string, checksum: string, finished: boolean, rolledBack = false): AppliedMigration => ({
    migration_name: name,
    checksum,
    finished_at: finished ? '2026-02-01T00:00:00Z' : null,
    rolled_back_at: rolledBack ? '2026-02-01T00:00:00Z' : null,
  });
  const init = row('20260101000000_init', 'a', true);
  const more = row('20260201000000_more', 'b', true);

  it.each([
    ['every migration applied as it is', [init, more], null],
    [
      'a rolled-back attempt and a finished one',
      [init, row(more.migration_name, 'b', false, true), more],
      null,
    ],
    ['a new migration folder', [init], 'migration 20260201000000_more is pending'],
    ['an empty table', [], 'migration 20260101000000_init is pending'],
    [
      'a migration that failed',
      [init, row(more.migration_name, 'b', false)],
      'migration 20260201000000_more is unfinished or failed',
    ],
    [
      'only a rolled-back attempt',
      [init, row(more.migration_name, 'b', false, true)],
      'migration 20260201000000_more is pending',
    ],
    [
      'an edited migration.sql',
      [init, row(more.migration_name, 'changed', true)],
      'migration 20260201000000_more was changed after it was applied',
    ],
    [
      'a migration this version does not know',
      [init, more, row('20260301000000_newer', 'c', true)],
      'the database has migration 20260301000000_newer, which is not in this version',
    ],
  ])('%s', (_case, applied, expected) => {
    expect(compareMigrations(local, applied)).toBe(expected);
  });
});

describe.each(providers)('%s: a new migration folder', (provider) => {
  // A copy of the project's migration setup (prisma.config.ts and prisma/, our node_modules) with
  // one more migration, run against a database migrated by the real project.
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ab-migrations-'));
    for (const path of ['prisma.config.ts', 'prisma', 'src/store/database-url.ts']) {
      cpSync(join(repo, path), join(root, path), { recursive: true });
    }
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
    const folder = join(root, 'prisma', provider, 'migrations', '20991231000000_probe');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'migration.sql'),
      'CREATE TABLE "probe" ("id" INTEGER NOT NULL PRIMARY KEY);\n',
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is applied by Prisma, and then the check finds nothing pending', async () => {
    const database = await createTestDatabase(provider);
    // Prisma's SQLite migration fails while another connection has the file open ("SocketTimeout").
    await database.close();
    try {
      expect(await migrateDatabase(database.url)).toEqual({ applied: [], via: 'check' });
      const upgraded = await migrateDatabase(database.url, { projectRoot: root });
      expect(upgraded).toEqual({
        applied: ['20991231000000_probe'],
        via: 'prisma',
        reason: 'migration 20991231000000_probe is pending',
      });
      const reopened = await openDatabase(database.url);
      expect(await reopened.db.$queryRawUnsafe('SELECT COUNT(*) AS n FROM probe')).toHaveLength(1);
      await reopened.close();
      expect(await migrateDatabase(database.url, { projectRoot: root })).toEqual({
        applied: [],
        via: 'check',
      });
      // The old version, against the newer database: Prisma decides (it applies nothing).
      expect(await migrateDatabase(database.url)).toMatchObject({
        applied: [],
        via: 'prisma',
        reason: 'the database has migration 20991231000000_probe, which is not in this version',
      });
    } finally {
      await database.drop();
    }
  });

  it('an edited migration.sql of an applied migration is reported (and so goes to Prisma)', async () => {
    const database = await createTestDatabase(provider);
    await database.close();
    const dir = join(root, 'prisma', provider, 'migrations');
    const [first] = localMigrations(dir);
    const file = join(dir, first?.name ?? '', 'migration.sql');
    const original = readFileSync(file);
    try {
      expect(
        await pendingReason(databaseTarget(database.url), join(repo, 'prisma', provider, 'migrations')),
      ).toBe(null);
      writeFileSync(file, `${original}\n-- edited\n`);
      expect(await pendingReason(databaseTarget(database.url), dir)).toBe(
        `migration ${first?.name} was changed after it was applied`,
      );
    } finally {
      writeFileSync(file, original);
      await database.drop();
    }
  });
});
