/**
 * Brings the database DATABASE_URL names up to date with prisma/<provider>/migrations.
 *
 * First a quick check with the plain driver (better-sqlite3 / pg, a few milliseconds): when every
 * migration folder is recorded in `_prisma_migrations` as finished, not rolled back and with the
 * checksum Prisma stores (sha256 of migration.sql, hex), and nothing else is recorded, there is
 * nothing to do. Anything else (a new folder, a failed or unknown migration, an edited file, no
 * table, no database file, an error while reading) runs `prisma migrate deploy` as before, so
 * Prisma applies what is pending and its own errors reach the user. The CLI runs in a child process
 * with the project's prisma.config.ts (JavaScript schema engine: nothing is downloaded); it takes
 * 1.5-2 s, which is why it only runs when there is work for it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DatabaseTarget, databaseTarget } from './database-url.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const doneLine = /All migrations have been successfully applied\.|No pending migrations to apply\./;

export interface MigrationResult {
  applied: string[];
  /** `check`: the driver found the schema current; `prisma`: `prisma migrate deploy` ran, because `reason`. */
  via: 'check' | 'prisma';
  reason?: string;
}

export interface MigrateOptions {
  /** Limit for `prisma migrate deploy` [120000]. */
  timeoutMs?: number;
  /** The folder with prisma.config.ts and prisma/<provider>/migrations [this project]; tests use a copy. */
  projectRoot?: string;
}

export class MigrationError extends Error {}

export async function migrateDatabase(
  databaseUrl: string,
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  const root = options.projectRoot ?? projectRoot;
  const target = databaseTarget(databaseUrl);
  const reason = await pendingReason(target, migrationsDir(root, target));
  if (reason === null) return { applied: [], via: 'check' };
  const applied = await deploy(root, target, databaseUrl, options.timeoutMs ?? 120_000);
  return { applied, via: 'prisma', reason };
}

export function migrationsDir(root: string, target: DatabaseTarget): string {
  return join(root, 'prisma', target.provider, 'migrations');
}

export interface LocalMigration {
  name: string;
  checksum: string;
}

/** Each migration folder (a folder with migration.sql), in the order Prisma applies them (by name). */
export function localMigrations(dir: string): LocalMigration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({
      name,
      checksum: createHash('sha256')
        .update(readFileSync(join(dir, name, 'migration.sql')))
        .digest('hex'),
    }));
}

/** A row of `_prisma_migrations`, as both drivers return it. */
export interface AppliedMigration {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

/** Why `prisma migrate deploy` must run, or null when every local migration is applied as it is. */
export function compareMigrations(local: LocalMigration[], applied: AppliedMigration[]): string | null {
  const failed = applied.find((row) => row.finished_at == null && row.rolled_back_at == null);
  if (failed) return `migration ${failed.migration_name} is unfinished or failed`;
  const done = applied.filter((row) => row.finished_at != null && row.rolled_back_at == null);
  for (const migration of local) {
    const rows = done.filter((row) => row.migration_name === migration.name);
    if (rows.length === 0) return `migration ${migration.name} is pending`;
    if (!rows.some((row) => row.checksum === migration.checksum)) {
      return `migration ${migration.name} was changed after it was applied`;
    }
  }
  const known = new Set(local.map((migration) => migration.name));
  const unknown = done.find((row) => !known.has(row.migration_name));
  if (unknown) return `the database has migration ${unknown.migration_name}, which is not in this version`;
  return null;
}

/** Null when the database is current; otherwise the reason to run Prisma (a read error is one). */
export async function pendingReason(target: DatabaseTarget, dir: string): Promise<string | null> {
  let local: LocalMigration[];
  try {
    local = localMigrations(dir);
  } catch (error) {
    return `cannot read ${dir}: ${(error as Error).message}`;
  }
  try {
    const applied = target.provider === 'sqlite' ? await readSqlite(target.file) : await readPostgres(target);
    if (applied === null) return 'the database is new';
    return compareMigrations(local, applied);
  } catch (error) {
    return `cannot read _prisma_migrations: ${scrubUrls((error as Error).message)}`;
  }
}

const appliedQuery = 'SELECT migration_name, checksum, finished_at, rolled_back_at FROM';

async function readSqlite(file: string): Promise<AppliedMigration[] | null> {
  if (!existsSync(file)) return null;
  const { default: Sqlite } = await import('better-sqlite3');
  const db = new Sqlite(file, { fileMustExist: true, timeout: 5000 });
  try {
    const table = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'")
      .get();
    if (!table) return null;
    return db.prepare(`${appliedQuery} _prisma_migrations`).all() as AppliedMigration[];
  } finally {
    db.close();
  }
}

async function readPostgres(
  target: Extract<DatabaseTarget, { provider: 'postgresql' }>,
): Promise<AppliedMigration[] | null> {
  const { default: pg } = await import('pg');
  const { provider: _provider, schema = 'public', ...connection } = target;
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    const table = await client.query('SELECT to_regclass($1) AS t', [
      `${quoteIdent(schema)}._prisma_migrations`,
    ]);
    if (table.rows[0]?.t == null) return null;
    const { rows } = await client.query<AppliedMigration>(
      `${appliedQuery} ${quoteIdent(schema)}._prisma_migrations`,
    );
    return rows;
  } finally {
    await client.end().catch(() => {});
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function deploy(root: string, target: DatabaseTarget, databaseUrl: string, timeoutMs: number) {
  // The CLI runs in the project folder: a relative SQLite path must mean the caller's folder.
  const url = target.provider === 'sqlite' ? `file:${target.file}` : databaseUrl;
  const prismaCli = createRequire(join(root, 'package.json')).resolve('prisma/build/index.js');
  return new Promise<string[]>((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, 'migrate', 'deploy'], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: url,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let succeeded = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (!succeeded && doneLine.test(output)) {
        succeeded = true;
        // The wasm schema engine leaves a 10 s timer behind on PostgreSQL, holding the CLI open
        // after its work is done; the success line is printed only after the migration committed.
        setTimeout(() => child.kill('SIGTERM'), 200).unref();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new MigrationError(`database migration could not start: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (succeeded || code === 0) {
        resolve([...output.matchAll(/^\s*└─ (\S+)\/$/gm)].map((m) => m[1] as string));
        return;
      }
      const reason = output.match(/^Error: .*$/m)?.[0] ?? output.trim().split('\n').slice(-3).join(' ');
      reject(new MigrationError(`database migration failed: ${scrubUrls(reason)}`));
    });
  });
}

/** Connection strings may carry passwords; never let one through into a log line. */
function scrubUrls(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/)[^@\s]*@/g, '$1***@');
}
