/**
 * Composes the running service from the config: preflight, migrations, database, Redis, HTTP.
 * `role` decides which parts run in this process (gateway: HTTP + adapters; worker: queues).
 */
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { platformStatus } from './config.ts';
import { createRedis } from './infra/redis.ts';
import type { Logger } from './logger.ts';
import { createHttpServer, type HttpServer } from './server.ts';
import { checkDependencies } from './startup/preflight.ts';
import { type Database, openDatabase } from './store/database.ts';
import { migrateDatabase } from './store/migrate.ts';

export type Role = 'gateway' | 'worker' | 'all';

export interface RunningApp {
  http?: HttpServer;
  port?: number;
  database: Database;
  redis: Redis;
  close(): Promise<void>;
}

export class StartupError extends Error {}

export async function startApp(config: Config, logger: Logger, role: Role): Promise<RunningApp> {
  const problems = await checkDependencies(config);
  if (problems.length > 0) throw new StartupError(problems.map((p) => p.message).join('\n'));

  const migration = await migrateDatabase(config.databaseUrl);
  logger.info(
    { provider: config.databaseProvider, applied: migration.applied },
    migration.applied.length > 0 ? 'database migrated' : 'database schema up to date',
  );

  const database = await openDatabase(config.databaseUrl);
  const redis = createRedis(config.redisUrl);
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  const closers: Array<() => Promise<unknown>> = [];

  let http: HttpServer | undefined;
  let port: number | undefined;
  if (role !== 'worker') {
    http = createHttpServer({
      logger,
      readiness: {
        database: () => database.db.$queryRawUnsafe('SELECT 1'),
        redis: () => redis.ping(),
      },
    });
    ({ port } = await http.listen(config.port, config.host));
    closers.push(() => (http as HttpServer).close());
    logger.info({ url: `http://${config.host}:${port}` }, 'http server listening');
    const platforms = platformStatus(config);
    for (const status of Object.values(platforms)) {
      logger.info({ configured: status.configured, mode: status.mode }, status.summary);
    }
  }

  return {
    ...(http && { http }),
    ...(port !== undefined && { port }),
    database,
    redis,
    async close() {
      for (const close of closers.reverse())
        await close().catch((error) => logger.warn({ err: error }, 'close failed'));
      redis.disconnect();
      await database.close();
    },
  };
}
