/**
 * The hot store on PostgreSQL: named prepared statements on a small pg pool of its own. Each
 * write that spans tables is ONE statement (data-modifying CTEs), so it is atomic without a
 * BEGIN/COMMIT round trip and holds no connection across awaits.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Platform } from '../../core/types.ts';
import type { DatabaseTarget } from '../database-url.ts';
import { SQL } from './postgres-sql.ts';
import { type Row, rowReaders } from './rows.ts';
import type {
  ConversationKey,
  ConversationKind,
  HotStore,
  InboundRecord,
  InboundResult,
  MessageChangeRecord,
  ReplyRecord,
  StatementObserver,
} from './types.ts';

const TIMESTAMP_OID = 1114;

const rows = rowReaders({ bool: (value) => value === true, time: (value) => value as Date });

type StatementName = keyof typeof SQL;

export interface PostgresHotStoreOptions {
  target: Extract<DatabaseTarget, { provider: 'postgresql' }>;
  /** Connections of the hot store's own pool [10]. */
  poolSize?: number;
  onStatement?: StatementObserver | undefined;
}

/** Timestamps without time zone hold UTC (as Prisma writes them): read them as UTC. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMP_OID) return (value: string) => new Date(`${value.replace(' ', 'T')}Z`);
    return pg.types.getTypeParser(oid, format);
  },
};

/** Timestamps are sent as UTC text, whatever the process's time zone. */
function utc(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

export function openPostgresHotStore(options: PostgresHotStoreOptions): HotStore {
  const { provider: _provider, schema, ...connection } = options.target;
  const pool = new pg.Pool({
    ...connection,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    types,
    ...(schema && { options: `-c search_path=${schema}` }),
  });
  pool.on('error', () => {
    // An idle connection dropped by the server: the pool replaces it on the next query.
  });
  const observe = options.onStatement;

  async function query(name: StatementName, values: unknown[]): Promise<Row[]> {
    observe?.(SQL[name]);
    const result = await pool.query({ name, text: SQL[name], values });
    return result.rows as Row[];
  }
  async function count(name: StatementName, values: unknown[]): Promise<number> {
    observe?.(SQL[name]);
    const result = await pool.query({ name, text: SQL[name], values });
    return result.rowCount ?? 0;
  }

  return {
    provider: 'postgresql',

    async ensureWorkspace(platform, externalId) {
      const [row] = await query('ensureWorkspace', [randomUUID(), platform, externalId, utc(new Date())]);
      return { id: row?.id as string, uninstalled: row?.uninstalledAt != null };
    },

    async ensureUser(input) {
      const [row] = await query('ensureUser', [
        randomUUID(),
        input.platform,
        input.externalId,
        input.displayName,
        input.isBot,
        utc(new Date()),
      ]);
      return row?.id as string;
    },

    async ensureConversation(key: ConversationKey, kind: ConversationKind) {
      const [row] = await query('ensureConversation', [
        randomUUID(),
        key.platform,
        key.workspaceId,
        key.channelId,
        key.threadId ?? '',
        kind,
        utc(new Date()),
      ]);
      return rows.conversation(row as Row);
    },

    async workspaceIds(platform: Platform, externalIds) {
      return (await query('workspaceIds', [platform, externalIds])).map((row) => row.id as string);
    },

    async workspaceExternalId(workspaceId) {
      const [row] = await query('workspaceExternalId', [workspaceId]);
      return (row?.externalId as string | undefined) ?? null;
    },

    async agentsOf(workspaceIds) {
      return (await query('agentsOf', [workspaceIds])).map(rows.agent);
    },

    async agent(agentId) {
      const [row] = await query('agent', [agentId]);
      return row ? rows.agent(row) : null;
    },

    async channelAgentIds(platform, channelId) {
      return (await query('channelAgentIds', [platform, channelId])).map((row) => row.agentId as string);
    },

    async insertInbound(batch: readonly InboundRecord[]) {
      const now = new Date();
      const insertedRows = await query('insertInbound', [
        batch.map((r) => r.conversationId),
        batch.map((r) => r.authorId),
        batch.map((r) => r.content),
        batch.map((r) => r.platformMessageId),
        batch.map((r) => r.platformEventId ?? null),
        batch.map((r) => utc(r.sentAt)),
        batch.map((r) => r.pendingAgentId ?? null),
        utc(now),
        batch.map((r) => r.attachments ?? null),
      ]);
      const inserted = new Map(
        insertedRows.map((row) => [`${row.conversationId}\u0000${row.platformMessageId}`, row]),
      );
      const results: Array<InboundResult | undefined> = batch.map((record) => {
        const key = `${record.conversationId}\u0000${record.platformMessageId}`;
        const row = inserted.get(key);
        if (!row) return undefined;
        // A second copy in the same batch is a duplicate of the first.
        inserted.delete(key);
        return { stored: true, id: row.id as number, createdAt: now };
      });
      const missing = batch.filter((_, i) => results[i] === undefined);
      if (missing.length === 0) return results as InboundResult[];
      const found = await query('findInbound', [
        missing.map((r) => r.conversationId),
        missing.map((r) => r.platformMessageId),
      ]);
      return batch.map((record, i): InboundResult => {
        const result = results[i];
        if (result) return result;
        const row = found.find(
          (f) =>
            f.conversationId === record.conversationId && f.platformMessageId === record.platformMessageId,
        );
        if (!row) throw new Error('a message neither stored nor found: the store changed underneath');
        return { stored: false, existing: rows.storedInbound(row) };
      });
    },

    async recentTurns(conversationId, turns) {
      return (await query('recentTurns', [conversationId, turns])).reverse().map(rows.turn);
    },

    async markPending(messageId, agentId) {
      return (await count('markPending', [agentId, utc(new Date()), messageId])) > 0;
    },

    async applyChange(change: MessageChangeRecord) {
      const where = [change.platformMessageId, change.platform, change.channelId, change.workspaceExternalId];
      const now = utc(new Date());
      return change.text === undefined
        ? count('deleteMessage', [...where, now])
        : count('editMessage', [...where, change.text, now]);
    },

    async readContext(conversationId, agentId, limit) {
      return rows.context(await query('readContext', [conversationId, agentId, limit]));
    },

    async storeReply(record: ReplyRecord) {
      const now = new Date();
      const turns = record.llm
        ? [
            { m: null, r: 'system', c: record.llm.system, mo: record.llm.model, pt: null, ct: null },
            ...record.llm.userTurns.map((t) => ({ m: t.messageId, r: t.role, c: t.content, mo: null })),
            {
              m: null,
              r: 'assistant',
              c: record.text,
              mo: record.llm.model,
              pt: record.llm.inputTokens ?? null,
              ct: record.llm.outputTokens ?? null,
            },
          ]
        : [];
      const [row] = await query('storeReply', [
        record.conversationId,
        record.agentId,
        record.text,
        record.triggerMessageId,
        record.afterReplyId,
        record.answersThrough,
        utc(now),
        record.answeredIds,
        record.queueJobId,
        JSON.stringify(turns),
        randomUUID(),
        record.status,
        record.attempts,
        record.error?.slice(0, 2000) ?? null,
        utc(record.startedAt),
        now.getTime() - record.startedAt.getTime(),
      ]);
      return row ? { stored: true, id: row.id as number, createdAt: now } : { stored: false };
    },

    async recordAttempt(attempt) {
      await query('recordAttempt', [
        randomUUID(),
        attempt.queueJobId,
        attempt.conversationId,
        attempt.agentId,
        attempt.triggerMessageId,
        attempt.attempts,
        attempt.error.slice(0, 2000),
        utc(new Date()),
        attempt.final ? 'failed' : 'queued',
      ]);
    },

    async releaseIntents(conversationId, agentId) {
      return count('releaseIntents', [utc(new Date()), agentId, conversationId]);
    },

    async readDelivery(replyId) {
      const [row] = await query('readDelivery', [replyId]);
      return row ? rows.delivery(row) : null;
    },

    async recordPosted(replyId, postedParts, delivered) {
      await query('recordPosted', [
        JSON.stringify(postedParts),
        postedParts[0] ?? null,
        delivered,
        utc(new Date()),
        replyId,
      ]);
    },

    async recordUndeliverable(replyId, reason) {
      await query('recordUndeliverable', [utc(new Date()), replyId, reason]);
    },

    async openIntents(storedBefore, limit) {
      return (await query('openIntents', [utc(storedBefore), limit])).map(rows.openIntent);
    },

    async undeliveredReplies(storedBefore, storedAfter, limit) {
      return (await query('undeliveredReplies', [utc(storedBefore), utc(storedAfter), limit])).map(
        rows.undelivered,
      );
    },

    async ping() {
      await query('ping', []);
    },

    async close() {
      if (!pool.ended) await pool.end();
    },
  };
}
