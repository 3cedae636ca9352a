-- DropIndex
DROP INDEX "message_jobs_status_idx";

-- DropIndex
DROP INDEX "message_jobs_jobId_idx";

-- DropIndex
DROP INDEX "messages_conversationId_platformEventId_key";

-- AlterTable
ALTER TABLE "messages" ADD COLUMN "afterReplyId" INTEGER;
ALTER TABLE "messages" ADD COLUMN "answeredById" INTEGER;
ALTER TABLE "messages" ADD COLUMN "answersThrough" INTEGER;
ALTER TABLE "messages" ADD COLUMN "pendingAgentId" TEXT;
ALTER TABLE "messages" ADD COLUMN "postedParts" TEXT;

-- Carry the old records over before their tables and columns go: which reply answered each
-- message (message_jobs -> messages.answeredById), the highest message each agent had read (on its
-- latest reply per conversation), and the per-message `busy` status, which no longer exists.
UPDATE "messages" SET "answeredById" = (
    SELECT j."replyMessageId" FROM "message_jobs" mj JOIN "jobs" j ON j."id" = mj."jobId"
    WHERE mj."messageId" = "messages"."id" AND j."replyMessageId" IS NOT NULL
    ORDER BY j."replyMessageId" LIMIT 1
) WHERE "id" IN (SELECT "messageId" FROM "message_jobs");
UPDATE "messages" SET "answersThrough" = (
    SELECT c."lastMessageId" FROM "agent_conversation_context" c
    WHERE c."agentId" = "messages"."agentId" AND c."conversationId" = "messages"."conversationId"
) WHERE "agentId" IS NOT NULL AND "id" = (
    SELECT MAX(m2."id") FROM "messages" m2
    WHERE m2."agentId" = "messages"."agentId" AND m2."conversationId" = "messages"."conversationId"
);
UPDATE "agents" SET "status" = 'active' WHERE "status" = 'busy';

-- DropTable
PRAGMA foreign_keys=off;
DROP TABLE "message_jobs";
PRAGMA foreign_keys=on;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_agent_conversation_context" (
    "agentId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "pausedNoticeAt" DATETIME,
    "summary" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("agentId", "conversationId"),
    CONSTRAINT "agent_conversation_context_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "agents" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "agent_conversation_context_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "conversations" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_agent_conversation_context" ("agentId", "conversationId", "createdAt", "pausedNoticeAt", "summary", "updatedAt") SELECT "agentId", "conversationId", "createdAt", "pausedNoticeAt", "summary", "updatedAt" FROM "agent_conversation_context";
DROP TABLE "agent_conversation_context";
ALTER TABLE "new_agent_conversation_context" RENAME TO "agent_conversation_context";
CREATE INDEX "agent_conversation_context_conversationId_idx" ON "agent_conversation_context"("conversationId");
CREATE TABLE "new_agents" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "workspaceId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameKey" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT '',
    "backstory" TEXT NOT NULL DEFAULT '',
    "goal" TEXT NOT NULL DEFAULT '',
    "systemPrompt" TEXT,
    "status" TEXT NOT NULL DEFAULT 'active',
    "modelConfig" JSONB,
    "avatarUrl" TEXT,
    "ownerId" TEXT,
    "maxConcurrentJobs" INTEGER NOT NULL DEFAULT 4,
    "isActive" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "agents_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "workspaces" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "agents_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "users" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_agents" ("avatarUrl", "backstory", "createdAt", "goal", "id", "isActive", "maxConcurrentJobs", "modelConfig", "name", "nameKey", "ownerId", "role", "status", "systemPrompt", "updatedAt", "workspaceId") SELECT "avatarUrl", "backstory", "createdAt", "goal", "id", "isActive", "maxConcurrentJobs", "modelConfig", "name", "nameKey", "ownerId", "role", "status", "systemPrompt", "updatedAt", "workspaceId" FROM "agents";
DROP TABLE "agents";
ALTER TABLE "new_agents" RENAME TO "agents";
CREATE INDEX "agents_workspaceId_isActive_idx" ON "agents"("workspaceId", "isActive");
CREATE UNIQUE INDEX "agents_workspaceId_nameKey_key" ON "agents"("workspaceId", "nameKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "jobs_replyMessageId_idx" ON "jobs"("replyMessageId");

-- CreateIndex
CREATE INDEX "messages_pendingAgentId_conversationId_id_idx" ON "messages"("pendingAgentId", "conversationId", "id");

-- CreateIndex
CREATE INDEX "messages_deliveredAt_agentId_idx" ON "messages"("deliveredAt", "agentId");

-- CreateIndex
CREATE UNIQUE INDEX "messages_conversationId_agentId_afterReplyId_key" ON "messages"("conversationId", "agentId", "afterReplyId");

