/**
 * Every statement the SQLite hot store prepares once (sqlite.ts runs them by name). Table and
 * column names as Prisma maps them.
 */
import { PENDING_LIMIT } from './types.ts';

const AGENT_COLUMNS = `id, workspaceId, name, role, backstory, goal, systemPrompt, status, modelConfig,
  avatarUrl, maxConcurrentJobs, isActive, budget,
  (SELECT w.uninstalledAt IS NOT NULL FROM workspaces w WHERE w.id = agents.workspaceId) AS workspaceUninstalled,
  (SELECT w.budget FROM workspaces w WHERE w.id = agents.workspaceId) AS workspaceBudget`;

export const SQL = {
  ensureWorkspace: `INSERT INTO workspaces (id, platform, externalId, createdAt, updatedAt)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (platform, externalId) DO UPDATE SET platform = excluded.platform
    RETURNING id, uninstalledAt`,
  ensureUser: `INSERT INTO users (id, platform, externalId, displayName, isBot, createdAt, updatedAt)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (platform, externalId) DO UPDATE SET displayName = excluded.displayName,
      isBot = excluded.isBot, updatedAt = excluded.updatedAt
    RETURNING id`,
  ensureConversation: `INSERT INTO conversations (id, platform, workspaceId, channelId, threadId, kind, createdAt, updatedAt)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (platform, workspaceId, channelId, threadId) DO UPDATE SET platform = excluded.platform
    RETURNING id, platform, workspaceId, channelId, threadId, kind, activeAgentId`,
  workspaceIds: `SELECT id FROM workspaces
    WHERE platform = ? AND externalId IN (SELECT value FROM json_each(?))`,
  workspaceExternalId: 'SELECT externalId FROM workspaces WHERE id = ?',
  agentsOf: `SELECT ${AGENT_COLUMNS} FROM agents
    WHERE isActive = 1 AND workspaceId IN (SELECT value FROM json_each(?))`,
  agent: `SELECT ${AGENT_COLUMNS} FROM agents WHERE id = ?`,
  channelAgentIds: `SELECT ca.agentId FROM channel_agents ca JOIN agents a ON a.id = ca.agentId
    WHERE ca.platform = ? AND ca.channelId = ? AND a.isActive = 1`,
  insertInbound: `INSERT INTO messages (conversationId, authorId, content, platformMessageId, platformEventId,
      sentAt, pendingAgentId, attachments, isActive, createdAt, updatedAt)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
    ON CONFLICT DO NOTHING
    RETURNING id`,
  findInbound: `SELECT id, conversationId, pendingAgentId, answeredById FROM messages
    WHERE conversationId = ? AND platformMessageId = ?`,
  recentTurns: `SELECT m.agentId, COALESCE(u.isBot, 0) AS isBot FROM messages m
    LEFT JOIN users u ON u.id = m.authorId
    WHERE m.conversationId = ? AND m.isActive = 1 ORDER BY m.id DESC LIMIT ?`,
  markPending: `UPDATE messages SET pendingAgentId = ?, updatedAt = ?
    WHERE id = ? AND pendingAgentId IS NULL AND answeredById IS NULL`,
  editMessage: `UPDATE messages SET content = ?, editedAt = ?, updatedAt = ?
    WHERE platformMessageId = ? AND conversationId IN (
      SELECT c.id FROM conversations c JOIN workspaces w ON w.id = c.workspaceId
      WHERE c.platform = ? AND c.channelId = ? AND w.externalId = ?)`,
  deleteMessage: `UPDATE messages SET isActive = 0, pendingAgentId = NULL, updatedAt = ?
    WHERE platformMessageId = ? AND conversationId IN (
      SELECT c.id FROM conversations c JOIN workspaces w ON w.id = c.workspaceId
      WHERE c.platform = ? AND c.channelId = ? AND w.externalId = ?)`,
  // One statement, one snapshot: the window, the waiting intents, the agent's latest reply, and
  // which workspaces the conversation and the agent belong to (part 3, for `mayReach`).
  readContext: `SELECT 0 AS part, w.id, w.content, w.agentId, a.name AS agentName, w.authorId,
        u.displayName AS authorName, COALESCE(u.isBot, 0) AS authorIsBot, w.answersThrough,
        u.externalId AS authorExternalId, w.attachments
      FROM (SELECT id, content, agentId, authorId, answersThrough, attachments FROM messages
            WHERE conversationId = @conversation AND isActive = 1 ORDER BY id DESC LIMIT @limit) w
      LEFT JOIN users u ON u.id = w.authorId
      LEFT JOIN agents a ON a.id = w.agentId
    UNION ALL
    SELECT 1, id, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL FROM (
      SELECT id FROM messages WHERE pendingAgentId = @agent AND conversationId = @conversation AND isActive = 1
      ORDER BY id LIMIT ${PENDING_LIMIT})
    UNION ALL
    SELECT 2, COALESCE((SELECT id FROM messages
        WHERE conversationId = @conversation AND agentId = @agent AND afterReplyId IS NOT NULL
        ORDER BY afterReplyId DESC LIMIT 1), 0), NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL
    UNION ALL
    SELECT 3, NULL, c.workspaceId, cw.externalId, cw.platform, a.workspaceId, aw.platform, 0, NULL, NULL, NULL
      FROM conversations c JOIN workspaces cw ON cw.id = c.workspaceId,
        agents a JOIN workspaces aw ON aw.id = a.workspaceId
      WHERE c.id = @conversation AND a.id = @agent`,
  insertReply: `INSERT INTO messages (conversationId, agentId, content, replyToId, afterReplyId, answersThrough,
      isActive, sentAt, createdAt, updatedAt)
    VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)
    ON CONFLICT DO NOTHING
    RETURNING id`,
  answerIntents: `UPDATE messages SET pendingAgentId = NULL, answeredById = ?, updatedAt = ?
    WHERE pendingAgentId = ? AND id IN (SELECT value FROM json_each(?))`,
  insertLlm: `INSERT INTO llm_messages (messageId, jobId, role, content, model, promptTokens, completionTokens, createdAt)
    SELECT json_extract(value, '$[0]'), ?, json_extract(value, '$[1]'), json_extract(value, '$[2]'),
      json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'), ?
    FROM json_each(?)`,
  upsertJob: `INSERT INTO jobs (id, queueJobId, type, status, conversationId, agentId, triggerMessageId,
      replyMessageId, attempts, error, startedAt, completedAt, durationMs, createdAt, updatedAt)
    VALUES (?, ?, 'reply', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (queueJobId) DO UPDATE SET status = excluded.status,
      replyMessageId = COALESCE(excluded.replyMessageId, jobs.replyMessageId),
      attempts = excluded.attempts, error = excluded.error, startedAt = excluded.startedAt,
      completedAt = excluded.completedAt, durationMs = excluded.durationMs, updatedAt = excluded.updatedAt
    RETURNING id`,
  releaseIntents: `UPDATE messages SET pendingAgentId = NULL, updatedAt = ?
    WHERE pendingAgentId = ? AND conversationId = ?`,
  readDelivery: `SELECT m.id, m.conversationId, m.agentId, a.name AS agentName, a.avatarUrl AS agentAvatarUrl,
      m.content, m.createdAt, m.deliveredAt, m.postedParts, m.afterReplyId, c.platform, c.channelId, c.threadId, c.kind,
      w.externalId AS workspaceExternalId, t.platformMessageId AS replyToPlatformMessageId,
      w.uninstalledAt IS NOT NULL AS workspaceUninstalled
    FROM messages m
    JOIN conversations c ON c.id = m.conversationId
    JOIN workspaces w ON w.id = c.workspaceId
    JOIN agents a ON a.id = m.agentId
    LEFT JOIN messages t ON t.id = m.replyToId
    WHERE m.id = ?`,
  recordPosted: `UPDATE messages SET postedParts = ?, platformMessageId = COALESCE(platformMessageId, ?),
      deliveredAt = CASE WHEN ? THEN ? ELSE deliveredAt END, updatedAt = ?
    WHERE id = ?`,
  markUndeliverable: `UPDATE messages SET isActive = 0, pendingAgentId = NULL, updatedAt = ?
    WHERE id = ? AND deliveredAt IS NULL`,
  failDeliveryJob: `UPDATE jobs SET status = 'failed', error = COALESCE(error || '; ', '') || ?, updatedAt = ?
    WHERE replyMessageId = ?`,
  openIntents: `SELECT i.conversationId, i.agentId, i.messageId, i.since, m.platformMessageId,
      c.platform, c.channelId, c.threadId, c.kind, w.externalId AS workspaceExternalId
    FROM (SELECT conversationId, pendingAgentId AS agentId, MAX(id) AS messageId, MIN(createdAt) AS since
          FROM messages WHERE pendingAgentId IS NOT NULL
          GROUP BY pendingAgentId, conversationId HAVING MIN(createdAt) < ? LIMIT ?) i
    JOIN messages m ON m.id = i.messageId
    JOIN conversations c ON c.id = i.conversationId
    JOIN workspaces w ON w.id = c.workspaceId`,
  undeliveredReplies: `SELECT m.id, j.queueJobId FROM messages m
    LEFT JOIN jobs j ON j.replyMessageId = m.id
    JOIN conversations c ON c.id = m.conversationId
    JOIN workspaces w ON w.id = c.workspaceId
    WHERE m.deliveredAt IS NULL AND m.agentId IS NOT NULL AND m.afterReplyId IS NOT NULL AND m.isActive = 1
      AND w.uninstalledAt IS NULL AND m.createdAt < ? AND m.createdAt > ?
    ORDER BY m.id LIMIT ?`,
  ping: 'SELECT 1',
} as const;
