/**
 * Composes the running service from the config: preflight, migrations, database, the reply
 * pipeline for this process's role, and the HTTP server (health, readiness, metrics, queue board).
 * Every role serves HTTP so each process can be probed and scraped; give each its own PORT.
 */

import type { Config } from './config.ts';
import { configSecrets, exposureProblem, platformStatus } from './config-checks.ts';
import type { Platform, PlatformAdapter } from './core/types.ts';
import { type Logger, redactSecrets } from './logger.ts';
import { mountOperations } from './ops/admin.ts';
import { createMetrics } from './ops/metrics.ts';
import { createPipeline, type Pipeline } from './pipeline.ts';
import { createHttpServer, type HttpServer } from './server.ts';
import { checkDependencies, StartupError } from './startup/preflight.ts';
import { type Database, openDatabase } from './store/database.ts';
import { openHotStore } from './store/hot/open.ts';
import type { HotStore } from './store/hot/types.ts';
import { migrateDatabase } from './store/migrate.ts';

export type Role = 'gateway' | 'worker' | 'all';

export interface RunningApp {
  http: HttpServer;
  port: number;
  database: Database;
  store: HotStore;
  pipeline: Pipeline;
  close(): Promise<void>;
}

export { StartupError };

export interface StartOptions {
  adapters?: Partial<Record<Platform, PlatformAdapter>>;
  /** Redis key prefix of the queues ['ab']; tests give each run its own. */
  queuePrefix?: string;
  /** The caller already ran the preflight checks (the CLI does, before loading everything). */
  dependenciesChecked?: boolean;
}

export async function startApp(
  config: Config,
  logger: Logger,
  role: Role,
  options: StartOptions = {},
): Promise<RunningApp> {
  // Before anything else: a process that would serve the queue board to the network never starts.
  const exposure = exposureProblem(config);
  if (exposure) throw new StartupError(exposure);
  const problems = options.dependenciesChecked ? [] : await checkDependencies(config);
  if (problems.length > 0) throw new StartupError(problems.map((p) => p.message).join('\n'));

  const migration = await migrateDatabase(config.databaseUrl);
  logger.info(
    { provider: config.databaseProvider, applied: migration.applied },
    migration.applied.length > 0 ? 'database migrated' : 'database schema up to date',
  );

  const database = await openDatabase(config.databaseUrl);
  const store = openHotStore(config.databaseUrl);
  let pipeline: Pipeline | undefined;
  const http = createHttpServer({
    logger,
    trustProxy: config.trustProxy,
    readiness: {
      database: () => store.ping(),
      redis: async () => (pipeline as Pipeline).redis.ping(),
    },
  });
  // Slack's endpoint must be mounted before any body parser touches the request (signatures).
  // Loaded on demand: a worker has no adapters, and each platform's SDK loads only when configured.
  const adapters =
    role === 'worker'
      ? {}
      : (options.adapters ?? (await buildPlatformAdapters(config, database, logger, http, () => pipeline)));
  pipeline = createPipeline({
    settings: config,
    store,
    db: database.db,
    logger,
    role,
    adapters,
    prefix: options.queuePrefix ?? config.queuePrefix,
  });
  const metrics = createMetrics({ bus: pipeline.bus, queues: pipeline.queues, prices: config.modelPrices });
  mountOperations(http.app, {
    metricsHandler: metrics.handler,
    queues: pipeline.queues,
    boardWrite: config.adminBoardWrite,
    ...(config.adminToken && { adminToken: config.adminToken }),
  });
  const { port } = await http.listen(config.port, config.host);
  logger.info({ url: `http://${config.host}:${port}`, role }, 'http server listening');

  let starting = '';
  try {
    for (const adapter of Object.values(adapters)) {
      starting = adapter.platform;
      await adapter.start();
    }
  } catch (error) {
    await http.close();
    await pipeline.close();
    metrics.stop();
    await store.close();
    await database.close();
    const reason = redactSecrets((error as Error).message, configSecrets(config));
    throw new StartupError(`${starting} could not start: ${reason}`);
  }
  if (role !== 'worker') {
    for (const status of Object.values(platformStatus(config))) {
      logger.info({ configured: status.configured, mode: status.mode }, status.summary);
    }
  }

  const running = pipeline;
  return {
    http,
    port,
    database,
    store,
    pipeline: running,
    async close() {
      // Inbound stops first; then active jobs drain while the adapters can still post; then the
      // platform connections close.
      await http.close();
      await running.close();
      for (const adapter of Object.values(adapters)) {
        await adapter.stop().catch((error) => logger.warn({ err: error }, 'adapter stop failed'));
      }
      metrics.stop();
      await store.close();
      await database.close();
    },
  };
}

async function buildPlatformAdapters(
  config: Config,
  database: Database,
  logger: Logger,
  http: HttpServer,
  pipeline: () => Pipeline | undefined,
): Promise<Partial<Record<Platform, PlatformAdapter>>> {
  const { adapterHooks, createPlatformAdapters } = await import('./adapters/platforms.ts');
  const hooks = adapterHooks(config, database.db, logger, () => pipeline() as Pipeline);
  return createPlatformAdapters(config, hooks, http.app);
}
