/**
 * Turns DATABASE_URL into what the driver adapters want. Shared by the runtime client and by
 * prisma.config.ts (the migration CLI), so both always talk to the same database.
 */
import { isAbsolute, resolve } from 'node:path';

export type DatabaseTarget =
  | { provider: 'sqlite'; file: string }
  | {
      provider: 'postgresql';
      host: string;
      port: number;
      user: string;
      password?: string;
      database: string;
      schema?: string;
      ssl: boolean;
    };

export function databaseTarget(url: string, cwd = process.cwd()): DatabaseTarget {
  if (url.startsWith('file:')) {
    const path = url.slice('file:'.length).replace(/^\/\//, '');
    if (!path)
      throw new Error('DATABASE_URL has no file path; example: DATABASE_URL=file:./data/agent-bridge.db');
    return { provider: 'sqlite', file: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  if (url.startsWith('postgresql://') || url.startsWith('postgres://')) {
    const parsed = new URL(url);
    const sslmode = parsed.searchParams.get('sslmode');
    return {
      provider: 'postgresql',
      host: decodeURIComponent(parsed.hostname) || '127.0.0.1',
      port: parsed.port ? Number(parsed.port) : 5432,
      user: decodeURIComponent(parsed.username) || 'postgres',
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
      ...(parsed.searchParams.get('schema') ? { schema: parsed.searchParams.get('schema') as string } : {}),
      ssl: sslmode === 'require' || sslmode === 'verify-full' || sslmode === 'verify-ca',
    };
  }
  throw new Error(
    'DATABASE_URL must start with file: (SQLite) or postgresql:// (PostgreSQL); example: DATABASE_URL=file:./data/agent-bridge.db',
  );
}
