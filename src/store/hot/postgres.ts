/**
 * The hot store on PostgreSQL: named prepared statements on a small pg pool of its own. Each
 * write that spans tables is ONE statement (data-modifying CTEs), so it is atomic without a
 * BEGIN/COMMIT round trip and holds no connection across awaits.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Platform } from '../../core/types.ts';
import type { DatabaseTarget } from '../database-url.ts';
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

const PENDING_LIMIT = 1000;
const TIMESTAMP_OID = 1114;

const rows = rowReaders({ bool: (value) => value === true, time: (value) => value as Date });

const AGENT_COLUMNS = `id, "workspaceId", name, role, backstory, goal, "systemPrompt", status, "modelConfig",
  "avatarUrl", "maxConcurrentJobs", "isActive",
  (SELECT w."uninstalledAt" IS NOT NULL FROM workspaces w WHERE w.id = agents."workspaceId") AS "workspaceUninstalled"`;
const CONVERSATION_SCOPE = `SELECT c.id FROM conversations c JOIN workspaces w ON w.id = c."workspaceId"
  WHERE c.platform = $2 AND c."channelId" = $3 AND w."externalId" = $4`;

const SQL = {
  ensureWorkspace: `INSERT INTO workspaces (id, platform, "externalId", "createdAt", "updatedAt")
    VALUES ($1, $2, $3, $4, $4)
    ON CONFLICT (platform, "externalId") DO UPDATE SET platform = EXCLUDED.platform
    RETURNING id, "uninstalledAt"`,
  ensureUser: `INSERT INTO users (id, platform, "externalId", "displayName", "isBot", "createdAt", "updatedAt")
    VALUES ($1, $2, $3, $4, $5, $6, $6)
    ON CONFLICT (platform, "externalId") DO UPDATE SET "displayName" = EXCLUDED."displayName",
      "isBot" = EXCLUDED."isBot", "updatedAt" = EXCLUDED."updatedAt"
    RETURNING id`,
  ensureConversation: `INSERT INTO conversations (id, platform, "workspaceId", "channelId", "threadId", kind, "createdAt", "updatedAt")
    VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
    ON CONFLICT (platform, "workspaceId", "channelId", "threadId") DO UPDATE SET platform = EXCLUDED.platform
    RETURNING id, platform, "workspaceId", "channelId", "threadId", kind, "activeAgentId"`,
  workspaceIds: `SELECT id FROM workspaces WHERE platform = $1 AND "externalId" = ANY($2::text[])`,
  workspaceExternalId: `SELECT "externalId" FROM workspaces WHERE id = $1`,
  agentsOf: `SELECT ${AGENT_COLUMNS} FROM agents WHERE "isActive" AND "workspaceId" = ANY($1::text[])`,
  agent: `SELECT ${AGENT_COLUMNS} FROM agents WHERE id = $1`,
  channelAgentIds: `SELECT ca."agentId" FROM channel_agents ca JOIN agents a ON a.id = ca."agentId"
    WHERE ca.platform = $1 AND ca."channelId" = $2 AND a."isActive"`,
  insertInbound: `INSERT INTO messages ("conversationId", "authorId", content, "platformMessageId",
      "platformEventId", "sentAt", "pendingAgentId", "isActive", "createdAt", "updatedAt")
    SELECT c, a, t, p, e, s, g, true, $8, $8
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamp[], $7::text[])
      WITH ORDINALITY AS x(c, a, t, p, e, s, g, n)
    ORDER BY n
    ON CONFLICT DO NOTHING
    RETURNING id, "conversationId", "platformMessageId"`,
  findInbound: `SELECT m.id, m."conversationId", m."platformMessageId", m."pendingAgentId", m."answeredById"
    FROM messages m JOIN unnest($1::text[], $2::text[]) AS x(c, p)
      ON m."conversationId" = x.c AND m."platformMessageId" = x.p`,
  recentTurns: `SELECT m."agentId", COALESCE(u."isBot", false) AS "isBot" FROM messages m
    LEFT JOIN users u ON u.id = m."authorId"
    WHERE m."conversationId" = $1 AND m."isActive" ORDER BY m.id DESC LIMIT $2`,
  markPending: `UPDATE messages SET "pendingAgentId" = $1, "updatedAt" = $2
    WHERE id = $3 AND "pendingAgentId" IS NULL AND "answeredById" IS NULL`,
  editMessage: `UPDATE messages SET content = $5, "editedAt" = $6, "updatedAt" = $6
    WHERE "platformMessageId" = $1 AND "conversationId" IN (${CONVERSATION_SCOPE})`,
  deleteMessage: `UPDATE messages SET "isActive" = false, "pendingAgentId" = NULL, "updatedAt" = $5
    WHERE "platformMessageId" = $1 AND "conversationId" IN (${CONVERSATION_SCOPE})`,
  // One statement, one snapshot: the window, the waiting intents, the agent's latest reply, and
  // which workspaces the conversation and the agent belong to (part 3, for `mayReach`).
  readContext: `SELECT 0 AS part, w.id, w.content, w."agentId", a.name AS "agentName", w."authorId",
        u."displayName" AS "authorName", COALESCE(u."isBot", false) AS "authorIsBot", w."answersThrough",
        u."externalId" AS "authorExternalId"
      FROM (SELECT id, content, "agentId", "authorId", "answersThrough" FROM messages
            WHERE "conversationId" = $1 AND "isActive" ORDER BY id DESC LIMIT $3) w
      LEFT JOIN users u ON u.id = w."authorId"
      LEFT JOIN agents a ON a.id = w."agentId"
    UNION ALL
    SELECT 1, p.id, NULL, NULL, NULL, NULL, NULL, false, NULL, NULL FROM (
      SELECT id FROM messages WHERE "pendingAgentId" = $2 AND "conversationId" = $1 AND "isActive"
      ORDER BY id LIMIT ${PENDING_LIMIT}) p
    UNION ALL
    SELECT 2, COALESCE((SELECT id FROM messages
        WHERE "conversationId" = $1 AND "agentId" = $2 AND "afterReplyId" IS NOT NULL
        ORDER BY "afterReplyId" DESC LIMIT 1), 0), NULL, NULL, NULL, NULL, NULL, false, NULL, NULL
    UNION ALL
    SELECT 3, NULL, c."workspaceId", cw."externalId", cw.platform, a."workspaceId", aw.platform, false, NULL, NULL
      FROM conversations c JOIN workspaces cw ON cw.id = c."workspaceId",
        agents a JOIN workspaces aw ON aw.id = a."workspaceId"
      WHERE c.id = $1 AND a.id = $2`,
  // The reply, the intents it answers, what the model was sent, and the job record: one statement.
  storeReply: `WITH reply AS (
      INSERT INTO messages ("conversationId", "agentId", content, "replyToId", "afterReplyId",
        "answersThrough", "isActive", "sentAt", "createdAt", "updatedAt")
      VALUES ($1, $2, $3, $4, $5, $6, true, $7, $7, $7)
      ON CONFLICT DO NOTHING
      RETURNING id
    ), answered AS (
      UPDATE messages SET "pendingAgentId" = NULL, "answeredById" = reply.id, "updatedAt" = $7
      FROM reply WHERE messages."pendingAgentId" = $2 AND messages.id = ANY($8::int[])
    ), job AS (
      INSERT INTO jobs (id, "queueJobId", type, status, "conversationId", "agentId", "triggerMessageId",
        "replyMessageId", attempts, error, "startedAt", "completedAt", "durationMs", "createdAt", "updatedAt")
      SELECT $11, $9, 'reply', $12, $1, $2, $4, reply.id, $13, $14, $15, $7, $16, $7, $7 FROM reply
      ON CONFLICT ("queueJobId") DO UPDATE SET status = EXCLUDED.status,
        "replyMessageId" = EXCLUDED."replyMessageId", attempts = EXCLUDED.attempts, error = EXCLUDED.error,
        "startedAt" = EXCLUDED."startedAt", "completedAt" = EXCLUDED."completedAt",
        "durationMs" = EXCLUDED."durationMs", "updatedAt" = EXCLUDED."updatedAt"
      RETURNING id
    ), llm AS (
      INSERT INTO llm_messages ("messageId", "jobId", role, content, model, "promptTokens",
        "completionTokens", "createdAt")
      SELECT COALESCE(t.m, reply.id), job.id, t.r, t.c, t.mo, t.pt, t.ct, $7
      FROM reply, job, json_to_recordset($10::json) AS t(m int, r text, c text, mo text, pt int, ct int)
    )
    SELECT id FROM reply`,
  recordAttempt: `INSERT INTO jobs (id, "queueJobId", type, status, "conversationId", "agentId",
      "triggerMessageId", attempts, error, "createdAt", "updatedAt")
    VALUES ($1, $2, 'reply', $9, $3, $4, $5, $6, $7, $8, $8)
    ON CONFLICT ("queueJobId") DO UPDATE SET status = EXCLUDED.status, attempts = EXCLUDED.attempts,
      error = EXCLUDED.error, "updatedAt" = EXCLUDED."updatedAt"`,
  releaseIntents: `UPDATE messages SET "pendingAgentId" = NULL, "updatedAt" = $1
    WHERE "pendingAgentId" = $2 AND "conversationId" = $3`,
  readDelivery: `SELECT m.id, m."conversationId", m."agentId", a.name AS "agentName",
      a."avatarUrl" AS "agentAvatarUrl", m.content, m."createdAt", m."deliveredAt", m."postedParts",
      c.platform, c."channelId", c."threadId", c.kind, w."externalId" AS "workspaceExternalId",
      t."platformMessageId" AS "replyToPlatformMessageId", w."uninstalledAt" IS NOT NULL AS "workspaceUninstalled"
    FROM messages m
    JOIN conversations c ON c.id = m."conversationId"
    JOIN workspaces w ON w.id = c."workspaceId"
    JOIN agents a ON a.id = m."agentId"
    LEFT JOIN messages t ON t.id = m."replyToId"
    WHERE m.id = $1`,
  recordPosted: `UPDATE messages SET "postedParts" = $1, "platformMessageId" = COALESCE("platformMessageId", $2),
      "deliveredAt" = CASE WHEN $3::boolean THEN $4 ELSE "deliveredAt" END, "updatedAt" = $4
    WHERE id = $5`,
  recordUndeliverable: `WITH gone AS (
      UPDATE messages SET "isActive" = false, "pendingAgentId" = NULL, "updatedAt" = $1
      WHERE id = $2 AND "deliveredAt" IS NULL RETURNING id)
    UPDATE jobs SET status = 'failed', error = COALESCE(error || '; ', '') || $3, "updatedAt" = $1
    WHERE "replyMessageId" IN (SELECT id FROM gone)`,
  openIntents: `SELECT i."conversationId", i."agentId", i."messageId", i.since, m."platformMessageId",
      c.platform, c."channelId", c."threadId", c.kind, w."externalId" AS "workspaceExternalId"
    FROM (SELECT "conversationId", "pendingAgentId" AS "agentId", MAX(id) AS "messageId",
            MIN("createdAt") AS since
          FROM messages WHERE "pendingAgentId" IS NOT NULL
          GROUP BY "pendingAgentId", "conversationId" HAVING MIN("createdAt") < $1 LIMIT $2) i
    JOIN messages m ON m.id = i."messageId"
    JOIN conversations c ON c.id = i."conversationId"
    JOIN workspaces w ON w.id = c."workspaceId"`,
  undeliveredReplies: `SELECT m.id, j."queueJobId" FROM messages m
    LEFT JOIN jobs j ON j."replyMessageId" = m.id
    JOIN conversations c ON c.id = m."conversationId"
    JOIN workspaces w ON w.id = c."workspaceId"
    WHERE m."deliveredAt" IS NULL AND m."agentId" IS NOT NULL AND m."afterReplyId" IS NOT NULL
      AND m."isActive" AND w."uninstalledAt" IS NULL AND m."createdAt" < $1 AND m."createdAt" > $2
    ORDER BY m.id LIMIT $3`,
  ping: 'SELECT 1',
} as const;

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
