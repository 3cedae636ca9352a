/**
 * Where the stored history of each watched platform channel ends, for a gateway that was away (a
 * restart, a lost connection) and reads on from there: the channels agents have joined, the recent
 * threads under them, and the recent DMs. Read once per (re)connection, with Prisma: off the
 * per-message path. Six statements whatever the number of channels.
 */
import type { Platform } from '../core/types.ts';
import type { DbOrTx } from './database.ts';

export interface CatchUpPoint {
  kind: 'channel' | 'thread' | 'dm';
  /** The platform channel to read: the channel, the thread's own id, or the DM channel. */
  channelId: string;
  /** A thread's parent channel. */
  parentChannelId?: string;
  /**
   * The platform id of the last inbound message stored from there before `storedBefore` (the
   * last stored, by row: never newer than the newest one, so reading after it misses nothing).
   * Unset when nothing was stored from there yet.
   */
  afterMessageId?: string;
  /** Read nothing older than this: the window's start, or when the first agent joined the channel. */
  notBefore: Date;
}

export interface CatchUpWindow {
  /** The oldest message worth reading (e.g. a day ago); also how recent a DM must be to be read. */
  since: Date;
  /**
   * When the connection came back: only messages stored before it count as seen, so a message
   * that arrived live meanwhile cannot hide the ones missed before it.
   */
  storedBefore: Date;
  /** A thread is read when something was stored in it since then [7 days before `since`]. */
  threadsActiveSince?: Date;
  /** At most this many threads, the most recently created first [200]. */
  maxThreads?: number;
}

const WEEK_MS = 7 * 24 * 3600_000;
const DEFAULT_MAX_THREADS = 200;

export async function catchUpPoints(
  db: DbOrTx,
  platform: Platform,
  window: CatchUpWindow,
): Promise<CatchUpPoint[]> {
  const { since, storedBefore } = window;
  const threadsActiveSince = window.threadsActiveSince ?? new Date(since.getTime() - WEEK_MS);

  const joins = await db.channelAgent.findMany({
    where: { platform, agent: { isActive: true } },
    select: { channelId: true, createdAt: true },
  });
  /** Joined channel → from when it is worth reading (its first agent's join, within the window). */
  const joined = new Map<string, Date>();
  for (const join of joins) {
    const from = new Date(Math.max(join.createdAt.getTime(), since.getTime()));
    const known = joined.get(join.channelId);
    if (!known || from < known) joined.set(join.channelId, from);
  }
  const channelIds = [...joined.keys()];

  const inbound = { authorId: { not: null } };
  const [channels, threads, dms] = await Promise.all([
    channelIds.length === 0
      ? []
      : db.conversation.findMany({
          where: { platform, kind: 'channel', threadId: '', channelId: { in: channelIds } },
          select: { id: true, channelId: true, threadId: true },
        }),
    channelIds.length === 0
      ? []
      : db.conversation.findMany({
          where: {
            platform,
            threadId: { not: '' },
            kind: { not: 'dm' },
            channelId: { in: channelIds },
            messages: { some: { ...inbound, createdAt: { gte: threadsActiveSince } } },
          },
          select: { id: true, channelId: true, threadId: true },
          orderBy: { createdAt: 'desc' },
          take: window.maxThreads ?? DEFAULT_MAX_THREADS,
        }),
    db.conversation.findMany({
      where: { platform, kind: 'dm', messages: { some: { ...inbound, createdAt: { gte: since } } } },
      select: { id: true, channelId: true, threadId: true },
    }),
  ]);

  const conversations = [...channels, ...threads, ...dms];
  const cursors = await lastStoredInbound(
    db,
    conversations.map((c) => c.id),
    storedBefore,
  );

  const points: CatchUpPoint[] = [];
  const byChannel = new Map(channels.map((c) => [c.channelId, c.id]));
  for (const [channelId, from] of joined) {
    const cursor = cursors.get(byChannel.get(channelId) ?? '');
    points.push({ kind: 'channel', channelId, ...(cursor && { afterMessageId: cursor }), notBefore: from });
  }
  for (const thread of threads) {
    const cursor = cursors.get(thread.id);
    points.push({
      kind: 'thread',
      channelId: thread.threadId,
      parentChannelId: thread.channelId,
      ...(cursor && { afterMessageId: cursor }),
      notBefore: joined.get(thread.channelId) ?? since,
    });
  }
  for (const dm of dms) {
    const cursor = cursors.get(dm.id);
    points.push({
      kind: 'dm',
      channelId: dm.channelId,
      ...(cursor && { afterMessageId: cursor }),
      notBefore: since,
    });
  }
  return points;
}

/** Conversation id → platform id of its last inbound message stored before `storedBefore`. */
async function lastStoredInbound(
  db: DbOrTx,
  conversationIds: string[],
  storedBefore: Date,
): Promise<Map<string, string>> {
  if (conversationIds.length === 0) return new Map();
  const last = await db.message.groupBy({
    by: ['conversationId'],
    where: {
      conversationId: { in: conversationIds },
      authorId: { not: null },
      platformMessageId: { not: null },
      createdAt: { lt: storedBefore },
    },
    _max: { id: true },
  });
  const ids = last.flatMap((row) => (row._max.id === null ? [] : [row._max.id]));
  if (ids.length === 0) return new Map();
  const rows = await db.message.findMany({
    where: { id: { in: ids } },
    select: { conversationId: true, platformMessageId: true },
  });
  return new Map(
    rows.flatMap((row) => (row.platformMessageId ? [[row.conversationId, row.platformMessageId]] : [])),
  );
}
