// A fix patches/@prisma+adapter-better-sqlite3 carries, proven on a real SQLite database.
import { describe, expect, it } from 'vitest';
import { ensureWorkspace } from '../../src/store/identities.ts';
import { useTestDatabase } from '../support/test-database.ts';

const t = useTestDatabase('sqlite');

describe('SQLite through the patched driver adapter', () => {
  it('hundreds of concurrent lookups (batched by Prisma into one query) do not exceed the parameter limit', async () => {
    const { db } = t.current;
    const ids = Array.from({ length: 700 }, (_, i) => `T-burst-${i}`);
    const workspaces = await Promise.all(ids.map((id) => ensureWorkspace(db, 'discord', id)));
    expect(new Set(workspaces.map((w) => w.id)).size).toBe(700);
    const again = await Promise.all(
      ids.map((externalId) =>
        db.workspace.findUnique({ where: { platform_externalId: { platform: 'discord', externalId } } }),
      ),
    );
    expect(again.every(Boolean)).toBe(true);
  });
});
