/**
 * `npm run bench`: how fast the reply pipeline moves a message from inbound to delivered with an
 * instant model, next to raw BullMQ and raw Prisma measured in the same run on the same machine.
 *
 *   node --import tsx bench/pipeline.bench.ts [--messages 1000] [--in-flight 64] [--rate 200]
 *     [--seconds 5] [--light-rate 20] [--postgres] [--skip-raw] [--trace] [--json FILE]
 *
 * Phases, each bounded in count and time (PHASE_TIMEOUT_MS), in one process on a fresh database
 * and a unique Redis prefix (both removed at the end):
 *   1. raw baselines: BullMQ throughput (addBulk + drain; single adds; a 2-hop chain), then at the
 *      fixed rate one hop, two hops, and one Prisma insert
 *   2. pipeline warm-up, then a burst of --messages (one conversation each, 64 in flight): msgs/s
 *   3. pipeline at --light-rate and at --rate msgs/s: inbound -> delivered latency with an instant
 *      model, i.e. the orchestration overhead, with where the time goes
 *   4. census (SQLite): SQL statements and Redis commands per message, by stage (--trace lists them)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { parseConfig } from '../src/config.ts';
import { createRedis } from '../src/infra/redis.ts';
import { createLogger } from '../src/logger.ts';
import { type Db, openDatabase } from '../src/store/database.ts';
import { openHotStore } from '../src/store/hot/open.ts';
import type { HotStore } from '../src/store/hot/types.ts';
import { migrateDatabase } from '../src/store/migrate.ts';
import { createOfflineEchoModel } from '../src/worker/providers/offline-echo.ts';
import type { ModelRegistry } from '../src/worker/providers/registry.ts';
import {
  type BenchPipeline,
  type BenchPipelineOptions,
  runCensus,
  startBenchPipeline,
} from './pipeline-phases.ts';
import { measureRawBaselines, type RawResults } from './raw-baselines.ts';
import { formatReport, type Results } from './report.ts';
import { Census, summarize } from './support.ts';

function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
function textOption(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
function option(name: string, fallback: number): number {
  const text = textOption(name);
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

const POSTGRES = flag('postgres');
const MESSAGES = Math.round(option('messages', 1000));
const RATE = option('rate', 200);
const RATE_MESSAGES = Math.round(RATE * option('seconds', 5));
const LIGHT_RATE = option('light-rate', 20);
const LIGHT_MESSAGES = 100;
const IN_FLIGHT = Math.round(option('in-flight', 64));
const REPLY_CONCURRENCY = 50;
const WARMUP_MESSAGES = 200;
const CENSUS_MESSAGES = 20;
const PHASE_TIMEOUT_MS = 120_000;
const TOTAL_TIMEOUT_MS = 420_000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const prefix = `abbench_${randomBytes(4).toString('hex')}`;
const logger = createLogger({
  level: process.env.BENCH_LOG_LEVEL ?? 'error',
  pretty: false,
  destination: process.stderr,
});
const instantModel = createOfflineEchoModel();
const models: ModelRegistry = { resolve: () => instantModel };
const pipelineOptions: BenchPipelineOptions = {
  settings: parseConfig({
    REDIS_URL,
    DEBOUNCE_MS: '0',
    AGENT_RATE_LIMIT_PER_MIN: '0',
    AGENT_MAX_CONCURRENT: '1000',
    DEFAULT_MODEL: 'offline:echo',
  }),
  logger,
  models,
  prefix,
  replyConcurrency: REPLY_CONCURRENCY,
  shutdownGraceMs: 5000,
};

function log(line: string): void {
  process.stderr.write(`[bench ${process.uptime().toFixed(1)}s] ${line}\n`);
}

interface BenchDatabase {
  db: Db;
  store: HotStore;
  census: Census;
  url: string;
  /** The SQLite file, for the bare-driver baseline. */
  sqliteFile?: string;
  close(): Promise<void>;
}

async function createBenchDatabase(tmp: string): Promise<BenchDatabase> {
  if (!POSTGRES) {
    const file = join(tmp, 'bench.db');
    await migrateDatabase(`file:${file}`);
    const url = `file:${file}`;
    const database = await openDatabase(url);
    const census = new Census();
    const store = openHotStore(url, { onStatement: (sql) => census.noteSql(sql) });
    return {
      db: database.db,
      store,
      census,
      url,
      sqliteFile: file,
      async close() {
        await store.close();
        await database.close();
      },
    };
  }
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: ADMIN_POSTGRES_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const name = prefix;
  const drop = () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_POSTGRES_URL);
  url.pathname = `/${name}`;
  try {
    await migrateDatabase(url.toString());
    const database = await openDatabase(url.toString());
    const census = new Census();
    const store = openHotStore(url.toString(), { onStatement: (sql) => census.noteSql(sql) });
    return {
      db: database.db,
      store,
      census,
      url: url.toString(),
      async close() {
        await store.close();
        await database.close();
        await drop();
      },
    };
  } catch (error) {
    await drop();
    throw error;
  }
}

async function cleanupRedis(admin: Redis): Promise<void> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) removed += await admin.del(...keys);
  } while (cursor !== '0');
  log(`removed ${removed} Redis keys under ${prefix}`);
}

async function main(): Promise<number> {
  // A stray rejection must not end the run before the cleanup below.
  process.on('unhandledRejection', (error) => log(`unhandled rejection: ${String(error)}`));
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: gave up after ${TOTAL_TIMEOUT_MS / 1000} s (keys under ${prefix} remain)\n`);
    process.exit(2);
  }, TOTAL_TIMEOUT_MS);
  watchdog.unref();
  const loadavgStart = loadavg();
  const tmp = mkdtempSync(join(tmpdir(), 'ab-bench-'));
  const admin = createRedis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let database: BenchDatabase | undefined;
  let bench: BenchPipeline | undefined;
  try {
    await admin.connect();
    log(`migrating a fresh ${POSTGRES ? 'PostgreSQL' : 'SQLite'} database`);
    database = await createBenchDatabase(tmp);

    let raw: RawResults;
    if (flag('skip-raw')) {
      const none = summarize([]);
      raw = {
        twoHopCpu: { processMs: Number.NaN, redisMs: Number.NaN },
        addBulkPerSecond: Number.NaN,
        singleAddPerSecond: Number.NaN,
        twoHopPerSecond: Number.NaN,
        insertPerSecond: Number.NaN,
        oneHopAtRate: none,
        twoHopAtRate: none,
        insertAtRate: none,
        operations: [],
      };
    } else {
      log('raw baselines: BullMQ throughput, then BullMQ and Prisma at the rate');
      raw = await measureRawBaselines(
        {
          redisUrl: REDIS_URL,
          admin,
          prefix,
          logger,
          jobs: 10_000,
          rateJobs: Math.round(RATE * 3),
          ratePerSecond: RATE,
          inFlight: IN_FLIGHT,
          timeoutMs: PHASE_TIMEOUT_MS,
          databaseUrl: database.url,
          ...(database.sqliteFile && { sqliteFile: database.sqliteFile }),
        },
        database.db,
      );
    }

    bench = await startBenchPipeline(database, pipelineOptions, PHASE_TIMEOUT_MS);
    log(`pipeline warm-up (${WARMUP_MESSAGES} messages)`);
    await bench.warmup(WARMUP_MESSAGES);
    log(`pipeline burst (${MESSAGES} messages, ${IN_FLIGHT} in flight)`);
    const throughput = await bench.burst(MESSAGES, IN_FLIGHT);
    log(`pipeline at ${LIGHT_RATE}/s (${LIGHT_MESSAGES} messages)`);
    const light = await bench.atRate('light', LIGHT_RATE, LIGHT_MESSAGES);
    log(`pipeline at ${RATE}/s (${RATE_MESSAGES} messages)`);
    const atRate = await bench.atRate('steady', RATE, RATE_MESSAGES);
    const failedAttempts = bench.failedAttempts();
    await bench.close();
    bench = undefined;

    log('census: statements and commands per answered DM');
    const census = {
      all: await runCensus(database.url, database.db, pipelineOptions, CENSUS_MESSAGES, flag('trace'), false),
      split: await runCensus(
        database.url,
        database.db,
        pipelineOptions,
        CENSUS_MESSAGES,
        flag('trace'),
        true,
      ),
    };

    const results: Results = {
      date: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      loadavgStart,
      loadavgEnd: loadavg(),
      database: POSTGRES ? 'postgresql' : 'sqlite',
      settings: {
        messages: MESSAGES,
        inFlight: IN_FLIGHT,
        rate: RATE,
        rateMessages: RATE_MESSAGES,
        lightRate: LIGHT_RATE,
        lightMessages: LIGHT_MESSAGES,
        replyConcurrency: REPLY_CONCURRENCY,
      },
      raw,
      throughput,
      light,
      atRate,
      failedAttempts,
      census,
      seconds: process.uptime(),
    };
    process.stdout.write(`${formatReport(results)}\n`);
    const jsonFile = textOption('json');
    if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    if (bench) await bench.close().catch(() => undefined);
    await cleanupRedis(admin).catch((error: unknown) => log(`redis cleanup failed: ${String(error)}`));
    admin.disconnect();
    await database?.close().catch((error: unknown) => log(`database cleanup failed: ${String(error)}`));
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench crashed: ${String(error)}\n`);
    process.exit(1);
  },
);
