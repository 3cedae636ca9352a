/**
 * Migrates one template database per provider, once per test run, with the real migration path
 * (`prisma migrate deploy`). Test files then clone a template: a file copy for SQLite, CREATE
 * DATABASE … TEMPLATE for PostgreSQL. Every run uses its own names and drops them afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../../src/store/migrate.ts';
import { adminPostgresUrl, postgresUrlFor } from '../support/postgres-url.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    sqliteTemplate: string;
    postgresTemplate: string;
    runId: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'agent-bridge-test-'));
  const sqliteTemplate = join(dir, 'template.db');
  const postgresTemplate = `ab_tpl_${runId}`;

  const admin = new pg.Client({ connectionString: adminPostgresUrl(), connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${adminPostgresUrl()} (${(error as Error).message}). The database tests run against SQLite AND PostgreSQL: start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or docker compose up -d postgres) or point TEST_POSTGRES_URL at one.`,
    );
  }
  await admin.query(`CREATE DATABASE "${postgresTemplate}"`);
  await Promise.all([
    migrateDatabase(`file:${sqliteTemplate}`),
    migrateDatabase(postgresUrlFor(postgresTemplate)),
  ]);

  project.provide('sqliteTemplate', sqliteTemplate);
  project.provide('postgresTemplate', postgresTemplate);
  project.provide('runId', runId);

  return async () => {
    // Clones left behind by a crashed test file are dropped with the template.
    const { rows } = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`ab_%${runId}%`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  };
}
