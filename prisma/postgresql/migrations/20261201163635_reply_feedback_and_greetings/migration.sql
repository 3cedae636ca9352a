-- CreateTable
CREATE TABLE "reply_feedback" (
    "replyId" INTEGER NOT NULL,
    "platform" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "agentId" TEXT NOT NULL,
    "vote" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "reply_feedback_pkey" PRIMARY KEY ("replyId","platform","userId")
);

-- CreateTable
CREATE TABLE "agent_view_greetings" (
    "platform" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "greetedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_view_greetings_pkey" PRIMARY KEY ("platform","workspaceId","userId")
);

-- CreateIndex
CREATE INDEX "reply_feedback_agentId_updatedAt_idx" ON "reply_feedback"("agentId", "updatedAt");

