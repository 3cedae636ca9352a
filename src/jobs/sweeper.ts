/**
 * Redis is the fast path, the database is the truth. The sweeper runs at start and then every
 * SWEEP_INTERVAL_MS, one pass at a time across processes (a Redis lock), and:
 * - re-enqueues the reply job of every intent that has waited past the grace period with no live
 *   job (Redis lost it, the process died between store and schedule, a job ended early); after
 *   MAX_INTENT_REQUEUES such rounds for the same message it gives up on the model and stores the
 *   failure notice, so the user is told instead of waiting forever;
 * - re-enqueues the delivery of every stored reply never marked delivered whose reply job and
 *   delivery job are both gone (a crash mid-post, a delivery that ran out of attempts), up to
 *   MAX_DELIVERY_REQUEUES times and for a day. It only looks at replies stored more than
 *   JOB_LOCK_MS ago: until then the run that stored a reply may post it itself (see
 *   worker/delivery.ts `mayPostInline`), after that it may only hand it over.
 * Each pass handles at most `batch` of each, so a long outage drains over several passes.
 */
import { randomBytes } from 'node:crypto';
import type { JobState, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { HotStore, OpenIntent } from '../store/hot/types.ts';
import { deliveryJobId, replyDebounceKey } from './ids.ts';
import type { RedisKeys } from './keys.ts';
import type { DeliveryJobData, Queues, ReplyJobData } from './queues.ts';
import { type ScheduleSettings, scheduleDelivery, scheduleReplies } from './schedule.ts';

export const MAX_INTENT_REQUEUES = 3;
export const MAX_DELIVERY_REQUEUES = 5;
const DELIVERY_HORIZON_MS = 24 * 3600_000;
const LIVE: ReadonlySet<JobState | 'unknown'> = new Set([
  'waiting',
  'delayed',
  'active',
  'prioritized',
  'waiting-children',
]);

export interface SweeperSettings extends ScheduleSettings {
  sweepIntervalMs: number;
  /** A job may stay locked this long after its process died; nothing younger is touched. */
  jobLockMs: number;
}

export interface SweeperDeps {
  store: HotStore;
  queues: Queues;
  redis: Redis;
  keys: RedisKeys;
  settings: SweeperSettings;
  logger: Logger;
  /** Stores the failure notice for an intent the model never got to answer, and delivers it. */
  giveUp(intent: OpenIntent): Promise<void>;
  /** Per pass, at most this many intents and this many deliveries [500]. */
  batch?: number;
}

export interface SweepReport {
  skipped?: 'another process is sweeping';
  requeuedIntents: number;
  gaveUp: number;
  requeuedDeliveries: number;
}

export interface Sweeper {
  /** One pass now; resolves with what it did. */
  sweep(): Promise<SweepReport>;
  /** A pass now, then one every interval, until stop(). */
  start(): void;
  stop(): Promise<void>;
}

export function createSweeper(deps: SweeperDeps): Sweeper {
  const { store, queues, redis, keys, settings, logger } = deps;
  const batch = deps.batch ?? 500;
  // Younger intents may still be waiting for their debounce; younger replies may still be posted by
  // the run that stored them (worker/delivery.ts mayPostInline).
  const grace = settings.debounceMs + settings.jobLockMs;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  async function isLive(
    queue: Queue<ReplyJobData> | Queue<DeliveryJobData>,
    jobId: string | null | undefined,
  ) {
    if (!jobId) return false;
    return LIVE.has(await queue.getJobState(jobId));
  }

  /** Counts how often the sweeper found this work orphaned (kept for a day). */
  async function strike(name: string): Promise<number> {
    const key = `${keys.sweeperCounts}:${name}`;
    const [[, count]] = (await redis.multi().incr(key).pexpire(key, DELIVERY_HORIZON_MS).exec()) as [
      [unknown, number],
    ];
    return count;
  }

  async function sweepIntents(now: number): Promise<{ requeued: number; gaveUp: number }> {
    let requeued = 0;
    let gaveUp = 0;
    const jobs: Array<{ data: ReplyJobData; attempt: number }> = [];
    for (const intent of await store.openIntents(new Date(now - grace), batch)) {
      const liveId = await queues.replies.getDeduplicationJobId(
        replyDebounceKey(intent.conversationId, intent.agentId),
      );
      if (await isLive(queues.replies, liveId)) continue;
      const strikes = await strike(`intent:${intent.conversationId}:${intent.agentId}:${intent.messageId}`);
      if (strikes > MAX_INTENT_REQUEUES) {
        logger.error(
          { conversationId: intent.conversationId, agentId: intent.agentId, messageId: intent.messageId },
          'a message waited through several re-enqueued reply jobs: answering with FAILURE_MESSAGE',
        );
        await deps.giveUp(intent);
        gaveUp += 1;
        continue;
      }
      jobs.push({ data: replyJobDataOf(intent, now), attempt: strikes });
      requeued += 1;
    }
    await scheduleReplies(queues.replies, settings, jobs);
    return { requeued, gaveUp };
  }

  async function sweepDeliveries(now: number): Promise<number> {
    let requeued = 0;
    const replies = await store.undeliveredReplies(
      new Date(now - grace),
      new Date(now - DELIVERY_HORIZON_MS),
      batch,
    );
    for (const reply of replies) {
      // While its reply job runs, that job is delivering it (inline) or handing it over.
      if (await isLive(queues.replies, reply.queueJobId)) continue;
      // One delivery job id per reply, whoever adds it: a late hand-over of the same reply finds the
      // sweeper's job there and adds nothing.
      const jobId = deliveryJobId(reply.id);
      const existing = await queues.deliveries.getJob(jobId);
      if (existing && LIVE.has(await existing.getState())) continue;
      const done = Number((await redis.get(`${keys.sweeperCounts}:delivery:${reply.id}`)) ?? 0);
      if (done >= MAX_DELIVERY_REQUEUES) continue;
      const attempt = await strike(`delivery:${reply.id}`);
      if (attempt === MAX_DELIVERY_REQUEUES) {
        logger.error({ replyId: reply.id }, 'a reply could not be delivered after many attempts: last try');
      }
      await existing?.remove();
      await scheduleDelivery(queues.deliveries, { replyId: reply.id });
      requeued += 1;
    }
    return requeued;
  }

  async function sweep(): Promise<SweepReport> {
    const token = randomBytes(8).toString('hex');
    const acquired = await redis.set(
      keys.sweeperLock,
      token,
      'PX',
      Math.max(settings.sweepIntervalMs, 5000),
      'NX',
    );
    if (acquired !== 'OK') {
      return { skipped: 'another process is sweeping', requeuedIntents: 0, gaveUp: 0, requeuedDeliveries: 0 };
    }
    try {
      const now = Date.now();
      const intents = await sweepIntents(now);
      const deliveries = await sweepDeliveries(now);
      const report = {
        requeuedIntents: intents.requeued,
        gaveUp: intents.gaveUp,
        requeuedDeliveries: deliveries,
      };
      if (intents.requeued + intents.gaveUp + deliveries > 0)
        logger.warn(report, 'sweeper re-enqueued lost work');
      return report;
    } finally {
      // Only our own lock: a pass that outlived it must not free another process's.
      const current = await redis.get(keys.sweeperLock);
      if (current === token) await redis.del(keys.sweeperLock);
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep()
        .catch((error: unknown) => logger.warn({ err: error }, 'sweeper pass failed'))
        .finally(schedule);
    }, settings.sweepIntervalMs);
    timer.unref();
  }

  return {
    sweep,
    start() {
      stopped = false;
      running = sweep()
        .catch((error: unknown) => logger.warn({ err: error }, 'sweeper pass failed'))
        .finally(schedule);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** The reply job an open intent stands for (what ingest would have scheduled for it). */
export function replyJobDataOf(intent: OpenIntent, now: number): ReplyJobData {
  return {
    conversationId: intent.conversationId,
    agentId: intent.agentId,
    messageId: intent.messageId,
    receivedAt: now,
    target: {
      platform: intent.platform,
      channelId: intent.channelId,
      ...(intent.threadId && { threadId: intent.threadId }),
      isDirect: intent.kind === 'dm',
      workspaceExternalId: intent.workspaceExternalId,
      ...(intent.platformMessageId && { replyToPlatformMessageId: intent.platformMessageId }),
    },
  };
}
