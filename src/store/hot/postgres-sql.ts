/**
 * Every statement the PostgreSQL hot store prepares (postgres.ts runs them as named prepared
 * statements): one per name, so each connection prepares it once. Table and column names as
 * Prisma maps them.
 */
import { PENDING_LIMIT } from './types.ts';

const AGENT_COLUMNS = `id, "workspaceId", name, role, backstory, goal, "systemPrompt", status, "modelConfig",
  "avatarUrl", "maxConcurrentJobs", "isActive", budget,
  (SELECT w."uninstalledAt" IS NOT NULL FROM workspaces w WHERE w.id = agents."workspaceId") AS "workspaceUninstalled",
  (SELECT w.budget FROM workspaces w WHERE w.id = agents."workspaceId") AS "workspaceBudget"`;
const CONVERSATION_SCOPE = `SELECT c.id FROM conversations c JOIN workspaces w ON w.id = c."workspaceId"
  WHERE c.platform = $2 AND c."channelId" = $3 AND w."externalId" = $4`;

export const SQL = {
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
      "platformEventId", "sentAt", "pendingAgentId", attachments, "isActive", "createdAt", "updatedAt")
    SELECT c, a, t, p, e, s, g, f, true, $8, $8
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamp[], $7::text[],
        $9::text[])
      WITH ORDINALITY AS x(c, a, t, p, e, s, g, f, n)
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
        u."externalId" AS "authorExternalId", w.attachments
      FROM (SELECT id, content, "agentId", "authorId", "answersThrough", attachments FROM messages
            WHERE "conversationId" = $1 AND "isActive" ORDER BY id DESC LIMIT $3) w
      LEFT JOIN users u ON u.id = w."authorId"
      LEFT JOIN agents a ON a.id = w."agentId"
    UNION ALL
    SELECT 1, p.id, NULL, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL FROM (
      SELECT id FROM messages WHERE "pendingAgentId" = $2 AND "conversationId" = $1 AND "isActive"
      ORDER BY id LIMIT ${PENDING_LIMIT}) p
    UNION ALL
    SELECT 2, COALESCE((SELECT id FROM messages
        WHERE "conversationId" = $1 AND "agentId" = $2 AND "afterReplyId" IS NOT NULL
        ORDER BY "afterReplyId" DESC LIMIT 1), 0), NULL, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL
    UNION ALL
    SELECT 3, NULL, c."workspaceId", cw."externalId", cw.platform, a."workspaceId", aw.platform, false, NULL, NULL, NULL
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
      a."avatarUrl" AS "agentAvatarUrl", m.content, m."createdAt", m."deliveredAt", m."postedParts", m."afterReplyId",
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
