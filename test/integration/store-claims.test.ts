// Rows created by several at the same moment (through Prisma, off the message path): two processes
// get the same workspace and user row, and one of several messages wins the paused notice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/store/database.ts';
import { ensureUser, ensureWorkspace } from '../../src/store/identities.ts';
import { claimPausedNotice, pausedNoticeState } from '../../src/store/paused-notices.ts';
import { providers, useTestDatabase } from '../support/test-database.ts';

describe.each(providers)('rows created by two processes at once (%s)', (provider) => {
  const t = useTestDatabase(provider);
  /** A second Prisma client on the same database: another process. */
  let other: Database;
  beforeAll(async () => {
    other = await openDatabase(t.current.url);
  });
  afterAll(async () => {
    await other?.close();
  });

  it('a workspace and a user asked for by both at once are one row each', async () => {
    const { db } = t.current;
    const [a, b] = await Promise.all([
      ensureWorkspace(db, 'slack', 'T-race'),
      ensureWorkspace(other.db, 'slack', 'T-race'),
    ]);
    expect(a.id).toBe(b.id);
    const user = { platform: 'slack' as const, externalId: 'U-race', displayName: 'Ana', isBot: false };
    const [u, v] = await Promise.all([ensureUser(db, user), ensureUser(other.db, user)]);
    expect(u.id).toBe(v.id);
    expect(await db.platformUser.count({ where: { externalId: 'U-race' } })).toBe(1);
  });

  it('the paused notice of a conversation is claimed by exactly one of several messages at once, once per pause', async () => {
    // One gateway posts notices: its messages race on one client.
    const { db } = t.current;
    const workspace = await ensureWorkspace(db, 'slack', 'T-paused');
    const agent = await db.agent.create({
      data: { workspaceId: workspace.id, name: 'Aria', nameKey: 'aria', status: 'inactive' },
    });
    const conversation = await db.conversation.create({
      data: { platform: 'slack', workspaceId: workspace.id, channelId: 'D-paused', kind: 'dm' },
    });
    const claimAtOnce = async () => {
      const states = await Promise.all([1, 2, 3].map(() => pausedNoticeState(db, agent.id, conversation.id)));
      return Promise.all(states.map((state) => claimPausedNotice(db, agent.id, conversation.id, state)));
    };
    // The first notice in this conversation: all three try to create its row.
    expect((await claimAtOnce()).sort()).toEqual([false, false, true]);
    // All read the same state again (e.g. after the agent was paused anew): one update wins.
    expect((await claimAtOnce()).sort()).toEqual([false, false, true]);
  });
});
