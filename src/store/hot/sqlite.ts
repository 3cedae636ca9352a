/**
 * The hot store on SQLite: its own better-sqlite3 connection (never Prisma's, so no statement of
 * ours can join, or be rolled back with, a transaction someone else opened), prepared once.
 * Transactions are synchronous: nothing else in the process can run between BEGIN and COMMIT.
 *
 * Writes are group-committed: the writes requested in one turn of the event loop (the inbound
 * messages of a batch, replies finished together, parts just posted) are committed as one
 * transaction, because a commit costs far more than a statement. Each caller's promise resolves
 * once its write is committed. A write alone (the common case at low load) is committed alone, a
 * single statement without BEGIN/COMMIT. If one write of a batch fails, the batch is rolled back
 * and each write committed on its own, so one bad write never takes a neighbour with it.
 *
 * The connection's busy timeout is 0: a write that meets another process's lock is retried on a
 * timer, so a busy database never blocks the event loop.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Platform } from '../../core/types.ts';
import { type Row, rowReaders } from './rows.ts';
import { SQL } from './sqlite-sql.ts';
import {
  type ConversationKey,
  type ConversationKind,
  type HotStore,
  type InboundRecord,
  type InboundResult,
  type MessageChangeRecord,
  type ReplyRecord,
  type StatementObserver,
  StoreBusyError,
  type StoreReplyResult,
  type UserRecordInput,
} from './types.ts';
import { sqliteTime } from './values.ts';

/** How long a write keeps retrying while another process holds SQLite's write lock. */
const BUSY_BUDGET_MS = 10_000;
/** Writes committed together at most. */
const MAX_WRITE_BATCH = 1000;

const rows = rowReaders({ bool: (value) => value === 1, time: (value) => new Date(value as string) });

type StatementName = keyof typeof SQL;

export interface SqliteHotStoreOptions {
  file: string;
  onStatement?: StatementObserver | undefined;
}

export function openSqliteHotStore(options: SqliteHotStoreOptions): HotStore {
  mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file, { timeout: 0 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const observe = options.onStatement;
  const prepared = new Map<StatementName, Database.Statement>();
  const statement = (name: StatementName): Database.Statement => {
    let stmt = prepared.get(name);
    if (!stmt) {
      stmt = db.prepare(SQL[name]);
      prepared.set(name, stmt);
    }
    return stmt;
  };
  const get = (name: StatementName, ...args: unknown[]): Row | undefined => {
    observe?.(SQL[name]);
    return statement(name).get(...args) as Row | undefined;
  };
  const all = (name: StatementName, ...args: unknown[]): Row[] => {
    observe?.(SQL[name]);
    return statement(name).all(...args) as Row[];
  };
  const run = (name: StatementName, ...args: unknown[]): number => {
    observe?.(SQL[name]);
    return statement(name).run(...args).changes;
  };
  /** Several writes as one: BEGIN IMMEDIATE takes the write lock up front (or meets BUSY at once). */
  const transaction = <T>(work: () => T): T => {
    observe?.('BEGIN IMMEDIATE');
    const result = db.transaction(work).immediate();
    observe?.('COMMIT');
    return result;
  };
  // Prepared up front: a statement that no longer matches the schema fails at start, not mid-path.
  for (const name of Object.keys(SQL) as StatementName[]) statement(name);

  interface QueuedWrite {
    work: () => unknown;
    /** A single statement can commit alone without BEGIN/COMMIT. */
    single: boolean;
    resolve(value: unknown): void;
    reject(error: unknown): void;
  }
  let queued: QueuedWrite[] = [];
  let flushing = false;

  function write<T>(work: () => T, single = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queued.push({ work, single, resolve: resolve as (value: unknown) => void, reject });
      if (!flushing) {
        flushing = true;
        setImmediate(flush);
      }
    });
  }

  async function flush(): Promise<void> {
    while (queued.length > 0) {
      const batch = queued.slice(0, MAX_WRITE_BATCH);
      queued = queued.slice(batch.length);
      await commit(batch);
    }
    flushing = false;
  }

  function runBatch(batch: QueuedWrite[]): unknown[] {
    const [only] = batch;
    if (only && batch.length === 1 && only.single) return [only.work()];
    return transaction(() => batch.map((w) => w.work()));
  }

  async function commit(batch: QueuedWrite[]): Promise<void> {
    const deadline = Date.now() + BUSY_BUDGET_MS;
    let delay = 1;
    for (;;) {
      try {
        const results = runBatch(batch);
        batch.forEach((w, i) => {
          w.resolve(results[i]);
        });
        return;
      } catch (error) {
        if (isBusy(error) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, delay));
          delay = Math.min(delay * 2, 50);
          continue;
        }
        if (!isBusy(error) && batch.length > 1) {
          // Rolled back: commit each on its own, so the failure stays with the write that failed.
          for (const w of batch) await commit([w]);
          return;
        }
        const failure = isBusy(error)
          ? new StoreBusyError(`the SQLite database stayed locked for ${BUSY_BUDGET_MS} ms`)
          : error;
        for (const w of batch) w.reject(failure);
        return;
      }
    }
  }

  const read = <T>(work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  };

  return {
    provider: 'sqlite',

    ensureWorkspace: (platform, externalId) =>
      write(() => {
        const now = sqliteTime(new Date());
        const row = get('ensureWorkspace', randomUUID(), platform, externalId, now, now) as Row;
        return { id: row.id as string, uninstalled: row.uninstalledAt != null };
      }, true),

    ensureUser: (input: UserRecordInput) =>
      write(() => {
        const now = sqliteTime(new Date());
        const row = get(
          'ensureUser',
          randomUUID(),
          input.platform,
          input.externalId,
          input.displayName,
          input.isBot ? 1 : 0,
          now,
          now,
        );
        return row?.id as string;
      }, true),

    ensureConversation: (key: ConversationKey, kind: ConversationKind) =>
      write(() => {
        const now = sqliteTime(new Date());
        const row = get(
          'ensureConversation',
          randomUUID(),
          key.platform,
          key.workspaceId,
          key.channelId,
          key.threadId ?? '',
          kind,
          now,
          now,
        ) as Row;
        return rows.conversation(row);
      }, true),

    workspaceIds: (platform: Platform, externalIds) =>
      read(() => all('workspaceIds', platform, JSON.stringify(externalIds)).map((row) => row.id as string)),

    workspaceExternalId: (workspaceId) =>
      read(() => (get('workspaceExternalId', workspaceId)?.externalId as string | undefined) ?? null),

    agentsOf: (workspaceIds) => read(() => all('agentsOf', JSON.stringify(workspaceIds)).map(rows.agent)),

    agent: (agentId) =>
      read(() => {
        const row = get('agent', agentId);
        return row ? rows.agent(row) : null;
      }),

    channelAgentIds: (platform, channelId) =>
      read(() => all('channelAgentIds', platform, channelId).map((row) => row.agentId as string)),

    insertInbound: (batch: readonly InboundRecord[]) =>
      write(() => {
        const insertAll = (): InboundResult[] => {
          const now = new Date();
          const stamp = sqliteTime(now);
          return batch.map((record): InboundResult => {
            const row = get(
              'insertInbound',
              record.conversationId,
              record.authorId,
              record.content,
              record.platformMessageId,
              record.platformEventId ?? null,
              sqliteTime(record.sentAt),
              record.pendingAgentId ?? null,
              record.attachments ?? null,
              stamp,
              stamp,
            );
            if (row) return { stored: true, id: row.id as number, createdAt: now };
            const existing = get('findInbound', record.conversationId, record.platformMessageId) as Row;
            return { stored: false, existing: rows.storedInbound(existing) };
          });
        };
        return insertAll();
      }, batch.length === 1),

    recentTurns: (conversationId, count) =>
      read(() => all('recentTurns', conversationId, count).reverse().map(rows.turn)),

    markPending: (messageId, agentId) =>
      write(() => run('markPending', agentId, sqliteTime(new Date()), messageId) > 0, true),

    applyChange: (change: MessageChangeRecord) =>
      write(() => {
        const now = sqliteTime(new Date());
        const where = [
          change.platformMessageId,
          change.platform,
          change.channelId,
          change.workspaceExternalId,
        ];
        return change.text === undefined
          ? run('deleteMessage', now, ...where)
          : run('editMessage', change.text, now, now, ...where);
      }, true),

    readContext: (conversationId, agentId, limit) =>
      read(() => rows.context(all('readContext', { conversation: conversationId, agent: agentId, limit }))),

    storeReply: (record: ReplyRecord) =>
      write((): StoreReplyResult => {
        const now = new Date();
        const stamp = sqliteTime(now);
        const reply = get(
          'insertReply',
          record.conversationId,
          record.agentId,
          record.text,
          record.triggerMessageId,
          record.afterReplyId,
          record.answersThrough,
          stamp,
          stamp,
          stamp,
        );
        if (!reply) return { stored: false };
        const id = reply.id as number;
        run('answerIntents', id, stamp, record.agentId, JSON.stringify(record.answeredIds));
        const job = get(
          'upsertJob',
          randomUUID(),
          record.queueJobId,
          record.status,
          record.conversationId,
          record.agentId,
          record.triggerMessageId,
          id,
          record.attempts,
          record.error?.slice(0, 2000) ?? null,
          sqliteTime(record.startedAt),
          stamp,
          now.getTime() - record.startedAt.getTime(),
          stamp,
          stamp,
        ) as Row;
        if (record.llm) {
          const { llm } = record;
          const rows = [
            [id, 'system', llm.system, llm.model, null, null],
            ...llm.userTurns.map((turn) => [turn.messageId, turn.role, turn.content, null, null, null]),
            [id, 'assistant', record.text, llm.model, llm.inputTokens ?? null, llm.outputTokens ?? null],
          ];
          run('insertLlm', job.id, stamp, JSON.stringify(rows));
        }
        return { stored: true, id, createdAt: now };
      }),

    recordAttempt: (attempt) =>
      write(() => {
        const stamp = sqliteTime(new Date());
        get(
          'upsertJob',
          randomUUID(),
          attempt.queueJobId,
          attempt.final ? 'failed' : 'queued',
          attempt.conversationId,
          attempt.agentId,
          attempt.triggerMessageId,
          null,
          attempt.attempts,
          attempt.error.slice(0, 2000),
          null,
          null,
          null,
          stamp,
          stamp,
        );
      }, true),

    releaseIntents: (conversationId, agentId) =>
      write(() => run('releaseIntents', sqliteTime(new Date()), agentId, conversationId), true),

    readDelivery: (replyId) =>
      read(() => {
        const row = get('readDelivery', replyId);
        return row ? rows.delivery(row) : null;
      }),

    recordPosted: (replyId, postedParts, delivered) =>
      write(() => {
        const stamp = sqliteTime(new Date());
        run(
          'recordPosted',
          JSON.stringify(postedParts),
          postedParts[0] ?? null,
          delivered ? 1 : 0,
          stamp,
          stamp,
          replyId,
        );
      }, true),

    recordUndeliverable: (replyId, reason) =>
      write(() => {
        const stamp = sqliteTime(new Date());
        // Not `single`: both statements commit together.
        if (run('markUndeliverable', stamp, replyId) > 0) run('failDeliveryJob', reason, stamp, replyId);
      }),

    openIntents: (storedBefore, limit) =>
      read(() => all('openIntents', sqliteTime(storedBefore), limit).map(rows.openIntent)),

    undeliveredReplies: (storedBefore, storedAfter, limit) =>
      read(() =>
        all('undeliveredReplies', sqliteTime(storedBefore), sqliteTime(storedAfter), limit).map(
          rows.undelivered,
        ),
      ),

    ping: () => read(() => void get('ping')),

    async close() {
      db.close();
    },
  };
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}
