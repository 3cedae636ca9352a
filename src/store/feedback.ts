/** 👍/👎 on agent replies: one vote per person and reply (a second click changes it), and the rate per agent. */
import type { Vote } from '../core/types.ts';
import type { Db } from './database.ts';
import { isUniqueViolation } from './errors.ts';

export type { Vote };

export interface FeedbackClick {
  /** The reply's message id (the `reply-<id>` of its delivery key). */
  replyId: number;
  platform: string;
  userId: string;
  vote: Vote;
}

/**
 * `new`: the person's first vote on this reply; `changed`: it replaced the other vote; `same`: a
 * repeated click; `unknown`: no such agent reply (nothing stored).
 */
export type FeedbackOutcome = 'new' | 'changed' | 'same' | 'unknown';

export const SATISFACTION_WINDOW_DAYS = 30;

export async function recordFeedback(db: Db, click: FeedbackClick): Promise<FeedbackOutcome> {
  const key = { replyId: click.replyId, platform: click.platform, userId: click.userId };
  const existing = await db.replyFeedback.findUnique({ where: { replyId_platform_userId: key } });
  if (existing) return changeVote(db, click, existing.vote);
  const reply = await db.message.findUnique({ where: { id: click.replyId }, select: { agentId: true } });
  if (!reply?.agentId) return 'unknown';
  try {
    await db.replyFeedback.create({ data: { ...key, agentId: reply.agentId, vote: click.vote } });
    return 'new';
  } catch (error) {
    // Two clicks at once: the other one stored first; this one is a change (or the same vote).
    if (!isUniqueViolation(error)) throw error;
    const stored = await db.replyFeedback.findUnique({ where: { replyId_platform_userId: key } });
    return changeVote(db, click, stored?.vote ?? click.vote);
  }
}

async function changeVote(db: Db, click: FeedbackClick, current: string): Promise<FeedbackOutcome> {
  if (current === click.vote) return 'same';
  await db.replyFeedback.update({
    where: {
      replyId_platform_userId: { replyId: click.replyId, platform: click.platform, userId: click.userId },
    },
    data: { vote: click.vote },
  });
  return 'changed';
}

export interface Satisfaction {
  up: number;
  down: number;
}

/** Votes on the agent's replies cast or changed since `since`. */
export async function satisfactionOf(db: Db, agentId: string, since: Date): Promise<Satisfaction> {
  const groups = await db.replyFeedback.groupBy({
    by: ['vote'],
    where: { agentId, updatedAt: { gte: since } },
    _count: { _all: true },
  });
  const count = (vote: Vote) => groups.find((g) => g.vote === vote)?._count._all ?? 0;
  return { up: count('up'), down: count('down') };
}

/** `83% 👍 (5 of 6 votes, last 30 days)`, or that there are none. Pure. */
export function satisfactionText({ up, down }: Satisfaction, days = SATISFACTION_WINDOW_DAYS): string {
  const total = up + down;
  if (total === 0) return `no votes in the last ${days} days`;
  const rate = Math.round((up / total) * 100);
  return `${rate}% 👍 (${up} of ${total} ${total === 1 ? 'vote' : 'votes'}, last ${days} days)`;
}

/** The reply id in a delivery key (`reply-42` → 42). */
export function replyIdOf(key: string): number | undefined {
  const match = /^reply-(\d{1,15})$/.exec(key);
  return match ? Number(match[1]) : undefined;
}
