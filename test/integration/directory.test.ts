// The per-process memory of the message path's lookups: what it saves, and when it forgets.
import { describe, expect, it } from 'vitest';
import { createDirectory } from '../../src/store/directory.ts';
import { openHotStore } from '../../src/store/hot/open.ts';
import { useTestDatabase } from '../support/test-database.ts';

const t = useTestDatabase('sqlite');

function countingStore() {
  const statements: string[] = [];
  const store = openHotStore(t.current.url, { onStatement: (sql) => statements.push(sql) });
  return { store, statements };
}

describe('directory', () => {
  it('answers repeated lookups from memory; a renamed user is one write, on the same row', async () => {
    const { store, statements } = countingStore();
    const directory = createDirectory(store);
    const ws = await directory.workspaceId('slack', 'T-dir');
    const user = { platform: 'slack' as const, externalId: 'U-dir', displayName: 'Ana', isBot: false };
    const id = await directory.userId(user);
    const conversation = await directory.conversation(
      { platform: 'slack', workspaceId: ws, channelId: 'D-dir' },
      'dm',
    );
    const before = statements.length;
    await Promise.all([
      directory.workspaceId('slack', 'T-dir'),
      directory.userId(user),
      directory.conversation({ platform: 'slack', workspaceId: ws, channelId: 'D-dir' }, 'dm'),
    ]);
    expect(statements.length).toBe(before);

    expect(await directory.userId({ ...user, displayName: 'Ana Lima' })).toBe(id);
    expect((await t.current.db.platformUser.findUniqueOrThrow({ where: { id } })).displayName).toBe(
      'Ana Lima',
    );
    expect(conversation.kind).toBe('dm');
    await store.close();
  });

  it('concurrent misses share one read; an announced change is seen at the next lookup', async () => {
    const { store, statements } = countingStore();
    const directory = createDirectory(store);
    const ws = await directory.workspaceId('slack', 'T-dir2');
    const lists = await Promise.all([
      directory.agentsOf([ws]),
      directory.agentsOf([ws]),
      directory.agentsOf([ws]),
    ]);
    expect(lists.map((l) => l.length)).toEqual([0, 0, 0]);
    expect(statements.filter((sql) => sql.includes('FROM agents')).length).toBe(1);

    await t.current.db.agent.create({ data: { workspaceId: ws, name: 'Nova', nameKey: 'nova' } });
    expect(await directory.agentsOf([ws])).toEqual([]);
    directory.forgetChanges();
    expect((await directory.agentsOf([ws])).map((a) => a.name)).toEqual(['Nova']);
    await store.close();
  });

  it('forgets what it remembered after its time to live, even without an announcement', async () => {
    const { store } = countingStore();
    let now = 0;
    const directory = createDirectory(store, { ttlMs: 1000, now: () => now });
    const ws = await directory.workspaceId('slack', 'T-dir3');
    expect(await directory.agentsOf([ws])).toEqual([]);
    await t.current.db.agent.create({ data: { workspaceId: ws, name: 'Zed', nameKey: 'zed' } });
    now = 999;
    expect(await directory.agentsOf([ws])).toEqual([]);
    now = 1001;
    expect((await directory.agentsOf([ws])).map((a) => a.name)).toEqual(['Zed']);
    await store.close();
  });
});
