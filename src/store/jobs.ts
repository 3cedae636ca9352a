/** Reply jobs: their database record, the messages each answers, and the reply's one transaction. */
import type { Db, DbOrTx } from './database.ts';

export interface JobStart {
  queueJobId: string;
  conversationId: string;
  agentId: string;
  triggerMessageId: number;
  attempt: number;
}

/** Creates (first attempt) or updates (retries) the job record and marks it running. */
export function startJob(db: DbOrTx, start: JobStart) {
  const running = { status: 'running', attempts: start.attempt, startedAt: new Date(), error: null };
  return db.job.upsert({
    where: { queueJobId: start.queueJobId },
    create: {
      queueJobId: start.queueJobId,
      conversationId: start.conversationId,
      agentId: start.agentId,
      triggerMessageId: start.triggerMessageId,
      ...running,
    },
    update: running,
  });
}

export function findJobByQueueId(db: DbOrTx, queueJobId: string) {
  return db.job.findUnique({ where: { queueJobId } });
}

/**
 * The messages this reply answers: everything after the agent's last reply (or last answered
 * message) up to the trigger, except the agent's own. A burst debounced into one job links all.
 */
export async function unansweredMessageIds(
  db: DbOrTx,
  conversationId: string,
  agentId: string,
  triggerMessageId: number,
): Promise<number[]> {
  const context = await db.agentConversationContext.findUnique({
    where: { agentId_conversationId: { agentId, conversationId } },
  });
  const rows = await db.message.findMany({
    where: {
      conversationId,
      isActive: true,
      id: { gt: context?.lastMessageId ?? 0, lte: triggerMessageId },
      OR: [{ agentId: null }, { agentId: { not: agentId } }],
    },
    orderBy: { id: 'asc' },
    select: { id: true },
    take: 200,
  });
  return rows.map((r) => r.id);
}

export interface LlmTurnRecord {
  messageId: number;
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface ReplyRecord {
  jobId: string;
  conversationId: string;
  agentId: string;
  triggerMessageId: number;
  answeredMessageIds: number[];
  text: string;
  model: string;
  system: string;
  prompt: LlmTurnRecord[];
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  attempts: number;
  startedAt: Date;
}

/**
 * One transaction: the reply message, what the model was sent and answered, the job and its
 * message links completed, the agent's counters and read position.
 */
export async function storeReply(db: Db, record: ReplyRecord) {
  const now = new Date();
  return db.$transaction(async (tx) => {
    const reply = await tx.message.create({
      data: {
        conversationId: record.conversationId,
        agentId: record.agentId,
        content: record.text,
        replyToId: record.triggerMessageId,
      },
    });
    await tx.llmMessage.createMany({
      data: [
        {
          messageId: reply.id,
          jobId: record.jobId,
          role: 'system',
          content: record.system,
          model: record.model,
        },
        ...record.prompt
          .filter((turn) => turn.role === 'user')
          .map((turn) => ({
            messageId: turn.messageId,
            jobId: record.jobId,
            role: turn.role,
            content: turn.content,
          })),
        {
          messageId: reply.id,
          jobId: record.jobId,
          role: 'assistant',
          content: record.text,
          model: record.model,
          promptTokens: record.inputTokens ?? null,
          completionTokens: record.outputTokens ?? null,
        },
      ],
    });
    await linkMessages(tx, record.jobId, record.answeredMessageIds, 'completed');
    await tx.job.update({
      where: { id: record.jobId },
      data: {
        status: 'completed',
        replyMessageId: reply.id,
        attempts: record.attempts,
        completedAt: now,
        durationMs: now.getTime() - record.startedAt.getTime(),
        error: null,
      },
    });
    await tx.agent.update({
      where: { id: record.agentId },
      data: { totalResponses: { increment: 1 }, lastResponseAt: now },
    });
    await advanceReadPosition(tx, record.agentId, record.conversationId, reply.id);
    return reply;
  });
}

export interface FailureRecord {
  jobId: string;
  conversationId: string;
  agentId: string;
  triggerMessageId: number;
  answeredMessageIds: number[];
  reason: string;
  attempts: number;
  /** FAILURE_MESSAGE, stored as the agent's reply so the user is told and delivery is uniform. */
  failureText: string;
}

export async function storeFailure(db: Db, record: FailureRecord) {
  return db.$transaction(async (tx) => {
    const notice = await tx.message.create({
      data: {
        conversationId: record.conversationId,
        agentId: record.agentId,
        content: record.failureText,
        replyToId: record.triggerMessageId,
      },
    });
    await linkMessages(tx, record.jobId, record.answeredMessageIds, 'failed');
    await tx.job.update({
      where: { id: record.jobId },
      data: {
        status: 'failed',
        error: record.reason.slice(0, 2000),
        attempts: record.attempts,
        completedAt: new Date(),
        replyMessageId: notice.id,
      },
    });
    await advanceReadPosition(tx, record.agentId, record.conversationId, notice.id);
    return notice;
  });
}

/** Records a failed attempt that will be retried. */
export function recordAttemptFailure(db: DbOrTx, jobId: string, attempts: number, reason: string) {
  return db.job.update({
    where: { id: jobId },
    data: { status: 'queued', attempts, error: reason.slice(0, 2000) },
  });
}

/** The agent has answered everything up to `messageId` in this conversation. */
function advanceReadPosition(tx: DbOrTx, agentId: string, conversationId: string, messageId: number) {
  return tx.agentConversationContext.upsert({
    where: { agentId_conversationId: { agentId, conversationId } },
    create: { agentId, conversationId, lastMessageId: messageId },
    update: { lastMessageId: messageId },
  });
}

async function linkMessages(tx: DbOrTx, jobId: string, messageIds: number[], status: string) {
  for (const messageId of messageIds) {
    await tx.messageJob.upsert({
      where: { messageId_jobId: { messageId, jobId } },
      create: { messageId, jobId, status },
      update: { status },
    });
  }
}

/** Counts the agent's running work and sets `busy`/`active` accordingly (never touching `inactive`). */
export async function adjustAgentLoad(db: DbOrTx, agentId: string, delta: 1 | -1) {
  const agent = await db.agent.update({
    where: { id: agentId },
    data: { currentJobCount: { increment: delta } },
    select: { currentJobCount: true, status: true },
  });
  if (agent.currentJobCount < 0) {
    await db.agent.update({ where: { id: agentId }, data: { currentJobCount: 0 } });
  }
  if (agent.status === 'inactive') return;
  const status = agent.currentJobCount > 0 ? 'busy' : 'active';
  if (status !== agent.status)
    await db.agent.updateMany({ where: { id: agentId, status: { not: 'inactive' } }, data: { status } });
}
