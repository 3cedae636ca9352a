// The SQLite hot store's group-committed writes when a write fails or the database is locked, on a
// real database file: one bad write never takes a neighbour with it, and a write that meets another
// process's lock waits (on a timer, not blocking the event loop) and then commits once.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseTarget } from '../../src/store/database-url.ts';
import { openHotStore } from '../../src/store/hot/open.ts';
import type { HotStore, InboundRecord } from '../../src/store/hot/types.ts';
import { useTestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const t = useTestDatabase('sqlite');

describe('SQLite write queue', () => {
  let store: HotStore;
  let statements: string[];
  let conversationId: string;
  let authorId: string;
  let sequence = 0;

  beforeEach(async () => {
    statements = [];
    store = openHotStore(t.current.url, { onStatement: (sql) => statements.push(sql) });
    const workspaceId = (await store.ensureWorkspace('slack', 'T-QUEUE')).id;
    authorId = await store.ensureUser({
      platform: 'slack',
      externalId: 'U1',
      displayName: 'Ana',
      isBot: false,
    });
    conversationId = (
      await store.ensureConversation({ platform: 'slack', workspaceId, channelId: 'D1' }, 'dm')
    ).id;
  });
  afterEach(async () => {
    await store.close();
  });

  function message(text: string, extra: Partial<InboundRecord> = {}): InboundRecord {
    sequence += 1;
    return {
      conversationId,
      authorId,
      content: text,
      platformMessageId: `m-${sequence}`,
      sentAt: new Date(),
      ...extra,
    };
  }

  it('writes of one turn commit together; when one fails, the others are committed on their own', async () => {
    const good = message('kept');
    const bad = message('refused', { conversationId: 'no-such-conversation' });
    const alsoGood = message('also kept');
    const [first, second, third] = await Promise.allSettled([
      store.insertInbound([good]),
      store.insertInbound([bad]),
      store.insertInbound([alsoGood]),
    ]);
    expect(first).toMatchObject({ status: 'fulfilled', value: [{ stored: true }] });
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' } });
    expect(third).toMatchObject({ status: 'fulfilled', value: [{ stored: true }] });
    // One transaction for the three, rolled back (never committed), then each write on its own.
    expect(statements.filter((sql) => sql === 'BEGIN IMMEDIATE')).toHaveLength(1);
    expect(statements.filter((sql) => sql === 'COMMIT')).toHaveLength(0);
    const stored = await t.current.db.message.findMany({
      where: { conversationId },
      select: { content: true },
    });
    expect(stored.map((m) => m.content).sort()).toEqual(['also kept', 'kept']);
  });

  it('a write that meets another connection holding the write lock is retried until the lock is gone, then committed once', async () => {
    const target = databaseTarget(t.current.url);
    if (target.provider !== 'sqlite') throw new Error('an SQLite test database was expected');
    const blocker = new Database(target.file, { timeout: 0 });
    try {
      blocker.exec('BEGIN IMMEDIATE');
      const write = store.insertInbound([message('waited for the lock')]);
      const attempts = () => statements.filter((sql) => sql.startsWith('INSERT INTO messages')).length;
      // Retried on a timer: the event loop stays free (this waitFor polls on it) meanwhile.
      await waitFor('a few attempts against the lock', () => attempts() >= 3);
      blocker.exec('COMMIT');
      expect(await write).toMatchObject([{ stored: true }]);
    } finally {
      blocker.close();
    }
    expect(await t.current.db.message.count({ where: { content: 'waited for the lock' } })).toBe(1);
  });
});
