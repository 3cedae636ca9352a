/**
 * The reply pipeline in one process: orchestrator + deliveries (where adapters live: gateway) and
 * reply workers (worker). `agent-bridge start`, the shell chat, tests and the benchmark all build
 * it here, so every path runs the same code.
 */
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { type AgentBridgeEvents, createEventBus, type EventBus } from './core/events.ts';
import type { Platform, PlatformAdapter } from './core/types.ts';
import { createRedis } from './infra/redis.ts';
import type { Logger } from './logger.ts';
import { createOrchestrator, type Orchestrator } from './orchestrator/orchestrator.ts';
import { TypingManager } from './orchestrator/typing.ts';
import type { Db } from './store/database.ts';
import { createAgentLimits } from './worker/agent-limits.ts';
import { createDeliveryProcessor } from './worker/delivery-processor.ts';
import { createModelRegistry, type ModelRegistry } from './worker/providers/registry.ts';
import { createQueues, type Queues } from './worker/queues.ts';
import { createReplyProcessor } from './worker/reply-processor.ts';
import { closeWorker, startDeliveryWorker, startReplyWorker } from './worker/workers.ts';

export type PipelineSettings = Pick<
  Config,
  | 'redisUrl'
  | 'debounceMs'
  | 'contextMessages'
  | 'maxAgentHops'
  | 'agentRateLimitPerMin'
  | 'agentMaxConcurrent'
  | 'jobAttempts'
  | 'jobBackoffMs'
  | 'llmTimeoutMs'
  | 'failureMessage'
  | 'defaultModel'
  | 'google'
  | 'openaiCompatible'
>;

export interface PipelineOptions {
  settings: PipelineSettings;
  db: Db;
  logger: Logger;
  adapters?: Partial<Record<Platform, PlatformAdapter>>;
  /** gateway: orchestrator + deliveries; worker: replies; all: both. */
  role?: 'gateway' | 'worker' | 'all';
  bus?: EventBus<AgentBridgeEvents>;
  models?: ModelRegistry;
  /** Redis key prefix for queues and limits (tests use one per run). */
  prefix?: string;
  replyConcurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How long shutdown waits for active jobs [10000]. */
  shutdownGraceMs?: number;
  /** The per-agent rate window [60000]; tests shorten it. */
  rateWindowMs?: number;
}

export interface Pipeline {
  bus: EventBus<AgentBridgeEvents>;
  queues: Queues;
  orchestrator: Orchestrator;
  typing: TypingManager;
  redis: Redis;
  close(): Promise<void>;
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { settings, db, logger } = options;
  const role = options.role ?? 'all';
  const prefix = options.prefix ?? 'ab';
  const adapters = options.adapters ?? {};
  const bus =
    options.bus ??
    createEventBus({
      onListenerError: (error, event) => logger.error({ err: error, event }, 'event listener failed'),
    });
  const connections: Redis[] = [];
  const connect = () => {
    const connection = createRedis(settings.redisUrl);
    connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
    connections.push(connection);
    return connection;
  };
  const redis = connect();
  const queues = createQueues(redis, prefix);
  const typing = new TypingManager({
    onError: (error, key) => logger.warn({ err: error, key }, 'typing signal failed'),
  });
  const orchestrator = createOrchestrator({
    db,
    redis,
    queues,
    bus,
    typing,
    adapters,
    logger,
    settings,
    dedupePrefix: prefix,
  });
  const workers: Worker[] = [];
  const workerOptions = {
    connection: connect,
    prefix,
    logger,
    ...(options.lockDurationMs && { lockDurationMs: options.lockDurationMs }),
    ...(options.stalledIntervalMs && { stalledIntervalMs: options.stalledIntervalMs }),
  };

  if (role !== 'gateway') {
    const models =
      options.models ??
      createModelRegistry({
        google: {
          baseURL: settings.google.baseUrl,
          ...(settings.google.apiKey && { apiKey: settings.google.apiKey }),
        },
        openaiCompatible: {
          ...(settings.openaiCompatible.baseUrl && { baseURL: settings.openaiCompatible.baseUrl }),
          ...(settings.openaiCompatible.apiKey && { apiKey: settings.openaiCompatible.apiKey }),
        },
      });
    const limits = createAgentLimits({
      redis,
      prefix,
      ...(options.rateWindowMs && { rateWindowMs: options.rateWindowMs }),
    });
    const processReply = createReplyProcessor({ db, queues, bus, limits, models, settings, logger });
    workers.push(
      startReplyWorker(processReply, {
        ...workerOptions,
        ...(options.replyConcurrency && { concurrency: options.replyConcurrency }),
      }),
    );
  }
  if (role !== 'worker') {
    workers.push(
      startDeliveryWorker(
        createDeliveryProcessor({
          db,
          bus,
          typing,
          adapters,
          onDelivered: (reply) => orchestrator.handleAgentReply(reply.id, reply),
        }),
        workerOptions,
      ),
    );
  }

  return {
    bus,
    queues,
    orchestrator,
    typing,
    redis,
    async close() {
      await Promise.all(workers.map((w) => closeWorker(w, options.shutdownGraceMs ?? 10_000)));
      await typing.stopAll();
      await queues.close();
      for (const connection of connections) connection.disconnect();
    },
  };
}
