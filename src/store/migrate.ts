/**
 * Applies pending migrations with `prisma migrate deploy` for the provider DATABASE_URL names.
 * The CLI runs in a child process with the project's prisma.config.ts (JavaScript schema engine:
 * nothing is downloaded).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseTarget } from './database-url.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const doneLine = /All migrations have been successfully applied\.|No pending migrations to apply\./;

export interface MigrationResult {
  applied: string[];
}

export class MigrationError extends Error {}

export function migrateDatabase(databaseUrl: string, timeoutMs = 120_000): Promise<MigrationResult> {
  // The CLI runs in the project folder: a relative SQLite path must mean the caller's folder.
  const target = databaseTarget(databaseUrl);
  const url = target.provider === 'sqlite' ? `file:${target.file}` : databaseUrl;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [prismaCli, 'migrate', 'deploy'], {
      cwd: projectRoot,
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
        resolve({ applied: [...output.matchAll(/^\s*└─ (\S+)\/$/gm)].map((m) => m[1] as string) });
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
