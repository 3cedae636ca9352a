// Prisma CLI configuration. It selects the schema and migrations of the provider DATABASE_URL names
// and uses the JavaScript schema engine through a driver adapter, so no engine binary is ever
// downloaded (see docs/decisions.md).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';
import { databaseTarget } from './src/store/database-url.ts';

const target = databaseTarget(process.env.DATABASE_URL ?? 'file:./data/agent-bridge.db');

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: `prisma/${target.provider}/schema.prisma`,
  migrations: { path: `prisma/${target.provider}/migrations` },
  async adapter() {
    if (target.provider === 'sqlite') {
      mkdirSync(dirname(target.file), { recursive: true });
      return new PrismaBetterSQLite3({ url: `file:${target.file}` });
    }
    const { provider: _provider, schema, ...pool } = target;
    // allowExitOnIdle: idle pool connections do not hold the CLI open.
    return new PrismaPg({ ...pool, allowExitOnIdle: true }, schema ? { schema } : undefined);
  },
});
