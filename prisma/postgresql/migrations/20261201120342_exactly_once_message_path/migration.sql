-- DropForeignKey
ALTER TABLE "message_jobs" DROP CONSTRAINT "message_jobs_jobId_fkey";

-- DropForeignKey
ALTER TABLE "message_jobs" DROP CONSTRAINT "message_jobs_messageId_fkey";

-- DropIndex
DROP INDEX "messages_conversationId_platformEventId_key";

-- AlterTable
ALTER TABLE "agents" DROP COLUMN "currentJobCount",
DROP COLUMN "lastResponseAt",
DROP COLUMN "totalResponses";

-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "afterReplyId" INTEGER,
ADD COLUMN     "answeredById" INTEGER,
ADD COLUMN     "answersThrough" INTEGER,
ADD COLUMN     "pendingAgentId" TEXT,
ADD COLUMN     "postedParts" TEXT;

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

-- AlterTable
ALTER TABLE "agent_conversation_context" DROP COLUMN "lastMessageId";

-- DropTable
DROP TABLE "message_jobs";

-- CreateIndex
CREATE INDEX "jobs_replyMessageId_idx" ON "jobs"("replyMessageId");

-- CreateIndex
CREATE INDEX "messages_pendingAgentId_conversationId_id_idx" ON "messages"("pendingAgentId", "conversationId", "id");

-- CreateIndex
CREATE INDEX "messages_deliveredAt_agentId_idx" ON "messages"("deliveredAt", "agentId");

-- CreateIndex
CREATE UNIQUE INDEX "messages_conversationId_agentId_afterReplyId_key" ON "messages"("conversationId", "agentId", "afterReplyId");

