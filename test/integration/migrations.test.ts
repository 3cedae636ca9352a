import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { migrateDatabase } from '../../src/store/migrate.ts';
import { adminPostgresUrl, postgresUrlFor } from '../support/postgres-url.ts';

const expectedTables = [
  'agent_audit',
  'agent_conversation_context',
  'agents',
  'channel_agents',
  'conversations',
  'jobs',
  'llm_messages',
  'messages',
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
      expect((await migrateDatabase(`file:${file}`)).applied).toEqual([]);
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
      expect((await migrateDatabase(postgresUrlFor(name))).applied.length).toBeGreaterThan(0);
      expect((await migrateDatabase(postgresUrlFor(name))).applied).toEqual([]);
      const client = new pg.Client({ connectionString: postgresUrlFor(name) });
      await client.connect();
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
