#!/usr/bin/env node
// Runs the Prisma CLI once per provider, each with a DATABASE_URL of that provider so that
// prisma.config.ts picks the matching schema.
//   node scripts/prisma.mjs generate          generate both clients (postinstall)
//   node scripts/prisma.mjs migration NAME    add a migration to both providers from the schema change
// Creating a migration needs PostgreSQL (for its shadow database): PG_URL, default
// postgresql://postgres@127.0.0.1:5432/postgres.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const scratch = join(tmpdir(), `agent-bridge-prisma-${process.pid}`);
const urls = {
  sqlite: `file:${join(scratch, 'scratch.db')}`,
  postgresql: process.env.PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
};

function prisma(provider, args, options = {}) {
  return execFileSync(process.execPath, [prismaCli, ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: urls[provider], PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    stdio: options.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
  });
}

const [command, name] = process.argv.slice(2);
try {
  mkdirSync(scratch, { recursive: true });
  if (command === 'generate') {
    for (const provider of Object.keys(urls)) prisma(provider, ['generate']);
  } else if (command === 'migration' && /^[a-z0-9_]+$/.test(name ?? '')) {
    execFileSync(process.execPath, [join(root, 'scripts/render-schemas.mjs')], { stdio: 'inherit' });
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    for (const provider of Object.keys(urls)) {
      const dir = `prisma/${provider}`;
      const sql = prisma(
        provider,
        [
          'migrate',
          'diff',
          '--from-migrations',
          `${dir}/migrations`,
          '--to-schema-datamodel',
          `${dir}/schema.prisma`,
          '--script',
        ],
        { capture: true },
      );
      if (sql.includes('This is an empty migration')) {
        console.log(`${provider}: no change`);
        continue;
      }
      mkdirSync(join(root, dir, 'migrations', `${stamp}_${name}`), { recursive: true });
      writeFileSync(join(root, dir, 'migrations', `${stamp}_${name}`, 'migration.sql'), sql);
      console.log(`${provider}: wrote ${dir}/migrations/${stamp}_${name}/migration.sql`);
    }
  } else {
    console.error('usage: node scripts/prisma.mjs generate | migration <snake_case_name>');
    process.exitCode = 2;
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
