/**
 * A reply worker in its own process, for crash tests: `node --import tsx worker-process.ts`
 * with DATABASE_URL, REDIS_URL, QUEUE_PREFIX, JOB_LOCK_MS, GOOGLE_GENERATIVE_AI_* in the environment.
 * Prints "ready" once its worker is listening.
 */
import { parseConfig } from '../../src/config.ts';
import { createPipeline } from '../../src/pipeline.ts';
import { openDatabase } from '../../src/store/database.ts';
import { openHotStore } from '../../src/store/hot/open.ts';
import { testLogger } from './test-log.ts';

const config = parseConfig(process.env);
const { db } = await openDatabase(config.databaseUrl);
createPipeline({
  settings: config,
  store: openHotStore(config.databaseUrl),
  db,
  logger: testLogger(),
  role: 'worker',
  prefix: process.env.QUEUE_PREFIX ?? 'ab',
});
process.stdout.write('ready\n');
