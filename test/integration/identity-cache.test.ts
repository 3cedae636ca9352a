import { describe, expect, it } from 'vitest';
import { createIdentityCache } from '../../src/orchestrator/identity-cache.ts';
import { useTestDatabase } from '../support/test-database.ts';

const t = useTestDatabase('sqlite');

describe('identity cache', () => {
  it('answers repeated lookups from memory, and a renamed user updates the stored name', async () => {
    const { db } = t.current;
    const cache = createIdentityCache(db);
    const ws = await cache.workspaceId('slack', 'T-cache');
    await db.workspace.update({ where: { id: ws }, data: { externalId: 'T-moved' } });
    // Answered from memory: the row's key changed underneath, the cached id did not.
    expect(await cache.workspaceId('slack', 'T-cache')).toBe(ws);

    const user = { platform: 'slack' as const, externalId: 'U-cache', displayName: 'Ana', isBot: false };
    const id = await cache.userId(user);
    expect(await cache.userId({ ...user, displayName: 'Ana Lima' })).toBe(id);
    expect((await db.platformUser.findUniqueOrThrow({ where: { id } })).displayName).toBe('Ana Lima');
  });
});
