/**
 * The reply pipeline in one process: the orchestrator and delivery (where adapters live: gateway)
 * and the reply worker (worker), plus the sweeper (every role). `agent-bridge start`, the shell
 * chat, tests and the benchmark all build it here, so every path runs the same code.
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { type AgentBridgeEvents, createEventBus, type EventBus } from './core/events.ts';
import type { Platform, PlatformAdapter } from './core/types.ts';
import { createRedis, observeCommands } from './infra/redis.ts';
import { replyDebounceKey } from './jobs/ids.ts';
import { type RedisKeys, redisKeys } from './jobs/keys.ts';
import { createQueues, type Queues, REPLIES, type ReplyJobData, type ReplyToPost } from './jobs/queues.ts';
import { scheduleDelivery, scheduleReplies } from './jobs/schedule.ts';
import { createSweeper, replyJobDataOf, type Sweeper } from './jobs/sweeper.ts';
import type { Logger } from './logger.ts';
import { createGroupCommit, type GroupCommit } from './orchestrator/group-commit.ts';
import { createOrchestrator, type Orchestrator } from './orchestrator/orchestrator.ts';
import { TypingManager } from './orchestrator/typing.ts';
import { keyringOf } from './providers/keyring.ts';
import type { Db } from './store/database.ts';
import { createDirectory, type Directory } from './store/directory.ts';
import type { HotStore } from './store/hot/types.ts';
import { markWorkspaceReinstalled, markWorkspaceUninstalled } from './store/identities.ts';
import { wireStreaming } from './streaming/wiring.ts';
import { fileInputFor } from './worker/attachments/index.ts';
import { createBudgetDeps } from './worker/budget-wiring.ts';
import { createCallLimits } from './worker/call-limits.ts';
import { createDelivery, mayPostInline } from './worker/delivery.ts';
import type { ModelRegistry } from './worker/providers/registry.ts';
import { createProviderResolver } from './worker/providers/resolver.ts';
import { createReplyProcessor } from './worker/reply-processor.ts';
import { modelRegistryFor, replySettingsOf } from './worker/reply-settings.ts';
import { answerWithFailure } from './worker/stored-answer.ts';
import { closeWorker, startDeliveryWorker, startReplyWorker } from './worker/workers.ts';

export type PipelineSettings = Pick<
  Config,
  | 'redisUrl'
  | 'debounceMs'
  | 'contextMessages'
  | 'maxAgentHops'
  | 'agentRateLimitPerMin'
  | 'agentMaxConcurrent'
  | 'providerRateLimitPerMin'
  | 'providerMaxConcurrent'
  | 'workerConcurrency'
  | 'jobAttempts'
  | 'jobBackoffMs'
  | 'llmTimeoutMs'
  | 'streamReplies'
  | 'maxOutputTokens'
  | 'modelPrices'
  | 'maxReplyParts'
  | 'jobLockMs'
  | 'sweepIntervalMs'
  | 'maxIngestInFlight'
  | 'failureMessage'
  | 'defaultModel'
  | 'allowedModels'
  | 'google'
  | 'openaiCompatible'
  | 'files'
  | 'slack'
  | 'discord'
  | 'secretKey'
  | 'previousSecretKeys'
>;

/** Redis commands on the acknowledgement path give up after this: the event is refused, not lost. */
const ACK_PATH_REDIS_TIMEOUT_MS = 1500;

export interface PipelineOptions {
  settings: PipelineSettings;
  /** The per-message store (prepared statements). */
  store: HotStore;
  /** Prisma: commands, and the rare paths (the paused notice). */
  db: Db;
  logger: Logger;
  adapters?: Partial<Record<Platform, PlatformAdapter>>;
  /** gateway: orchestrator + deliveries; worker: replies; all: both. */
  role?: 'gateway' | 'worker' | 'all';
  bus?: EventBus<AgentBridgeEvents>;
  models?: ModelRegistry;
  /** Redis key prefix of every key (queues, limits, sweeper) ['ab']. */
  prefix?: string;
  replyConcurrency?: number;
  /** How long shutdown waits for active jobs [10000]. */
  shutdownGraceMs?: number;
  /** The per-agent rate window [60000]; tests shorten it. */
  rateWindowMs?: number;
  /** Run the sweeper [true]. */
  sweeper?: boolean;
  /** Sees every Redis command this pipeline sends (budget tests, the benchmark's census). */
  onRedisCommand?: (name: string) => void;
}

export interface Pipeline {
  bus: EventBus<AgentBridgeEvents>;
  queues: Queues;
  keys: RedisKeys;
  orchestrator: Orchestrator;
  commit: GroupCommit;
  directory: Directory;
  sweeper: Sweeper | undefined;
  typing: TypingManager;
  redis: Redis;
  /** Agents, channel memberships or a DM's chosen agent changed: every process forgets them. */
  announceDirectoryChange(): Promise<void>;
  /**
   * The app was removed from a workspace (Slack app_uninstalled / tokens_revoked, Discord guild
   * removal): what waited there ends, typing there stops, and nothing is posted there until an
   * event arrives from it again. Said in the log once.
   */
  workspaceRemoved(platform: Platform, externalId: string, reason: string): Promise<void>;
  close(): Promise<void>;
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { settings, store, db, logger } = options;
  const role = options.role ?? 'all';
  const prefix = options.prefix ?? 'ab';
  const keys = redisKeys(prefix);
  const adapters = options.adapters ?? {};
  const bus =
    options.bus ??
    createEventBus({
      onListenerError: (error, event) => logger.error({ err: error, event }, 'event listener failed'),
    });
  const connections: Redis[] = [];
  const connect = (overrides: Parameters<typeof createRedis>[1] = {}) => {
    const connection = createRedis(settings.redisUrl, overrides);
    connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
    if (options.onRedisCommand) observeCommands(connection, options.onRedisCommand);
    connections.push(connection);
    return connection;
  };
  const redis = connect();
  const queues = createQueues(redis, prefix);
  // The acknowledgement waits on these adds: with Redis down they fail fast and the event is refused.
  const ackQueues = createQueues(
    connect({ commandTimeout: ACK_PATH_REDIS_TIMEOUT_MS, maxRetriesPerRequest: 1 }),
    prefix,
  );
  const directory = createDirectory(store);
  // Teams' provider records: cached with their decrypted keys, forgotten with the directory.
  const providerRecords = createProviderResolver(db, keyringOf(settings));
  const forgetChanges = () => {
    directory.forgetChanges();
    providerRecords.forget();
  };
  const typing = new TypingManager({
    onError: (error, key) => logger.warn({ err: error, key }, 'typing signal failed'),
  });
  const scheduleOnAckPath = (jobs: ReadonlyArray<{ data: ReplyJobData; attempt?: number }>) =>
    scheduleReplies(ackQueues.replies, settings, jobs);
  const commit = createGroupCommit({
    insert: (batch) => store.insertInbound(batch),
    schedule: scheduleOnAckPath,
    maxInFlight: settings.maxIngestInFlight,
  });
  async function announceDirectoryChange() {
    forgetChanges();
    await redis.publish(keys.directoryChanges, 'changed');
  }

  async function workspaceRemoved(platform: Platform, externalId: string, reason: string) {
    // Forgotten first: a job that finds its intent released meanwhile must not clear the signal
    // through the dead token.
    const adapter = adapters[platform];
    typing.forgetWhere((target, port) => port === adapter && target.workspaceId === externalId);
    const removed = await markWorkspaceUninstalled(db, platform, externalId);
    if (!removed) return;
    logger.warn(
      { platform, workspace: externalId, reason },
      'the app was removed from this workspace: its waiting replies end and nothing is posted there until it sends events again',
    );
    await announceDirectoryChange();
  }

  async function workspaceBack(platform: Platform, externalId: string) {
    if (!(await markWorkspaceReinstalled(db, platform, externalId))) return;
    logger.info({ platform, workspace: externalId }, 'the app is back in this workspace: answering again');
    await announceDirectoryChange();
  }

  const orchestrator = createOrchestrator({
    directory,
    store,
    db,
    commit,
    schedule: (jobs) => scheduleReplies(queues.replies, settings, jobs),
    bus,
    typing,
    adapters,
    settings,
    logger,
    onWorkspaceBack: workspaceBack,
  });
  const streaming = wireStreaming({
    role,
    enabled: settings.streamReplies,
    adapters,
    redis,
    prefix,
    bus,
    logger,
  });
  const delivery = createDelivery({
    ...(streaming.hub && { live: streaming.hub }),
    store,
    isUninstalled: async (platform, externalId) =>
      (await directory.workspace(platform, externalId)).uninstalled,
    firstAttemptMs: settings.jobLockMs,
    maxReplyParts: settings.maxReplyParts,
    bus,
    typing,
    adapters,
    logger,
    onDelivered: (reply) =>
      orchestrator
        .handleAgentReply(reply)
        .catch((error: unknown) =>
          logger.warn({ err: error, replyId: reply.id }, 'agent-to-agent check failed'),
        ),
  });

  /** Never throws: a reply that could not be handed over is found by the sweeper. */
  async function handOff(reply: ReplyToPost, meta: { replyJobId: string; receivedAt: number }) {
    // A run that lost time (a stalled job) past JOB_LOCK_MS hands the reply over instead of posting.
    if (role === 'all' && mayPostInline(reply.createdAt, Date.now(), settings.jobLockMs)) {
      try {
        await delivery.deliver(reply, { postedParts: [], mayHavePosted: false, ...meta });
        return;
      } catch (error) {
        logger.warn(
          { err: error, replyId: reply.id },
          'reply not posted yet: retrying from the deliveries queue',
        );
      }
    }
    try {
      await scheduleDelivery(queues.deliveries, {
        replyId: reply.id,
        ...meta,
        // Carried only to a separate gateway's first attempt; a retry reads it back with its parts.
        ...(role === 'worker' && { reply }),
      });
    } catch (error) {
      logger.error(
        { err: error, replyId: reply.id },
        'reply not handed to delivery: the sweeper will deliver it',
      );
    }
  }

  async function cancel(conversationId: string, agentId: string) {
    if (role === 'all') {
      await typing.stop(replyDebounceKey(conversationId, agentId));
      return;
    }
    await queues.deliveries.add(
      'cancel',
      { cancel: { conversationId, agentId } },
      { removeOnComplete: true },
    );
  }

  const workers: Worker[] = [];
  const workerOptions = {
    connection: () => connect(),
    prefix,
    logger,
    lockDurationMs: settings.jobLockMs,
    // BullMQ takes a job over on the second check after its lock is gone: checking at half the lock
    // time hands a dead process's jobs on within about 1.5 x JOB_LOCK_MS.
    stalledIntervalMs: Math.max(500, Math.round(settings.jobLockMs / 2)),
  };
  const replySettings = replySettingsOf(settings);

  if (role !== 'gateway') {
    const models = options.models ?? modelRegistryFor(settings, providerRecords);

    const limits = createCallLimits({
      redis,
      keys,
      ...(options.rateWindowMs && { rateWindowMs: options.rateWindowMs }),
    });
    const processReply = createReplyProcessor({
      files: fileInputFor(settings, logger),
      store,
      directory,
      bus,
      limits,
      models,
      settings: replySettings,
      logger,
      handOff,
      cancel,
      budgets: createBudgetDeps({
        redis,
        prefix,
        db,
        prices: settings.modelPrices,
        maxOutputTokens: settings.maxOutputTokens,
        adapters,
        logger,
      }),
      ...(streaming.open && { live: streaming.open }),
    });
    workers.push(
      startReplyWorker(processReply, {
        ...workerOptions,
        concurrency: options.replyConcurrency ?? settings.workerConcurrency,
      }),
    );
  }
  if (role !== 'worker') workers.push(startDeliveryWorker(delivery.processDelivery, workerOptions));

  const sweeper =
    options.sweeper === false
      ? undefined
      : createSweeper({
          store,
          queues,
          redis,
          keys,
          settings,
          logger,
          async giveUp(intent) {
            const agent = await directory.agent(intent.agentId);
            if (!agent) return;
            const now = Date.now();
            await answerWithFailure(
              { store, settings: replySettings, handOff, cancel },
              {
                data: replyJobDataOf(intent, now),
                agent,
                queueJobId: `${REPLIES}.sweeper.${replyDebounceKey(intent.conversationId, intent.agentId)}.${intent.messageId}`,
                attempts: 0,
                startedAt: new Date(now),
                reason: 'the reply job was lost repeatedly',
              },
            );
          },
        });
  sweeper?.start();

  // Every process forgets cached agents when any process announces a change.
  const subscriber = connect();
  subscriber.on('message', (channel: string) => {
    if (channel === keys.directoryChanges) forgetChanges();
  });
  void streaming.subscribe(subscriber);
  // After a reconnect, announcements may have been missed while the connection was down.
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (connectedBefore) forgetChanges();
    connectedBefore = true;
  });
  subscriber.subscribe(keys.directoryChanges).catch((error: unknown) => {
    logger.warn(
      { err: error },
      'could not subscribe to directory changes: cached agents expire within a minute',
    );
  });

  return {
    bus,
    queues,
    keys,
    orchestrator,
    commit,
    directory,
    sweeper,
    typing,
    redis,
    announceDirectoryChange,
    workspaceRemoved,
    async close() {
      await commit.drain();
      await orchestrator.settled();
      await sweeper?.stop();
      await Promise.all(workers.map((w) => closeWorker(w, options.shutdownGraceMs ?? 10_000)));
      await typing.stopAll();
      streaming.close();
      await Promise.all([queues.close(), ackQueues.close()]);
      for (const connection of connections) connection.disconnect();
    },
  };
}
