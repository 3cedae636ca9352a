/**
 * How a stored answer is made and handed on: the model's text made safe to store and post, what a
 * reply answers, FAILURE_MESSAGE (or a budget notice) stored as the agent's reply, and the job
 * data delivery needs. Shared by the reply processor, the budget stop and the sweeper.
 */
import { cleanStoredText } from '../core/clean-text.ts';
import { neutralizeForeignMentions, participantsOf } from '../core/mentions.ts';
import type { Platform } from '../core/types.ts';
import type { ReplyJobData, ReplyToPost } from '../jobs/queues.ts';
import type { AgentRecord, HotStore, ReplyContext } from '../store/hot/types.ts';
import { liveKeyFor } from './live-feed.ts';

export interface AnswerDeps {
  store: HotStore;
  settings: { contextMessages: number; failureMessage: string };
  /** Posts a stored reply: inline where the adapter lives, else through the deliveries queue. */
  handOff(reply: ReplyToPost, meta: { replyJobId: string; receivedAt: number }): Promise<void>;
  /** The job ends without a reply: clear the typing signal. */
  cancel(conversationId: string, agentId: string): Promise<void>;
}

/**
 * FAILURE_MESSAGE as the agent's reply: it answers what waited (so nothing is answered twice,
 * nor left waiting) and is delivered like any reply. Used after the last attempt, and by the
 * sweeper for a message whose reply jobs kept getting lost.
 */
export async function answerWithFailure(
  deps: AnswerDeps,
  failure: {
    data: ReplyJobData;
    agent: AgentRecord;
    queueJobId: string;
    attempts: number;
    startedAt: Date;
    reason: string;
    context?: ReplyContext;
    /** What to post instead of FAILURE_MESSAGE (the budget notice). */
    text?: string;
  },
): Promise<void> {
  const { data, agent } = failure;
  const seen =
    failure.context ??
    (await deps.store.readContext(data.conversationId, agent.id, deps.settings.contextMessages));
  if (seen.pendingIds.length === 0) {
    await deps.cancel(data.conversationId, agent.id);
    return;
  }
  const text = failure.text ?? deps.settings.failureMessage;
  const notice = await deps.store.storeReply({
    ...answerOf(seen),
    conversationId: data.conversationId,
    agentId: agent.id,
    triggerMessageId: data.messageId,
    text,
    queueJobId: failure.queueJobId,
    attempts: failure.attempts,
    startedAt: failure.startedAt,
    status: 'failed',
    error: failure.reason,
  });
  if (notice.stored) {
    const key = liveKeyFor(agent, data, seen);
    await deps.handOff(replyToPost(notice.id, notice.createdAt, agent, text, data, key), {
      replyJobId: failure.queueJobId,
      receivedAt: data.receivedAt,
    });
  }
}

/**
 * The model's answer as it is stored and posted (the same text on every delivery attempt): cleaned
 * like every stored text, and mentioning no one who did not take part in the conversation.
 */
export function safeReplyText(platform: Platform, answer: string, context: ReplyContext): string {
  return neutralizeForeignMentions(
    platform,
    cleanStoredText(answer),
    participantsOf(platform, context.messages),
  );
}

/** What a reply built from `context` answers: every intent the read saw, after the last reply. */
export function answerOf(context: ReplyContext) {
  const windowTop = context.messages.at(-1)?.id ?? 0;
  return {
    afterReplyId: context.lastReplyId,
    answersThrough: Math.max(windowTop, ...context.pendingIds),
    answeredIds: context.pendingIds,
  };
}

export function replyToPost(
  id: number,
  createdAt: Date,
  agent: AgentRecord,
  text: string,
  data: ReplyJobData,
  liveKey: string | undefined,
): ReplyToPost {
  return {
    id,
    conversationId: data.conversationId,
    agent: { id: agent.id, name: agent.name, avatarUrl: agent.avatarUrl },
    text,
    createdAt: createdAt.getTime(),
    target: data.target,
    ...(liveKey && { liveKey }),
  };
}
