/**
 * What the pipeline is built on, measured bare in the same run: BullMQ no-op jobs (one hop and the
 * pipeline's two-hop skeleton), and one insert into `messages` straight through the database driver
 * (a prepared statement: better-sqlite3 or pg), autocommitted.
 */
import Database from 'better-sqlite3';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { createRedis } from '../src/infra/redis.ts';
import type { Logger } from '../src/logger.ts';
import { ensureConversation } from '../src/store/conversations.ts';
import type { Db } from '../src/store/database.ts';
import { ensureUser, ensureWorkspace } from '../src/store/identities.ts';
import {
  boundedParallel,
  type CpuPerItem,
  cpuMeter,
  now,
  openLoop,
  type Summary,
  summarize,
  waitUntil,
} from './support.ts';

export interface RawSettings {
  redisUrl: string;
  /** For reading the Redis server's CPU time. */
  admin: Redis;
  prefix: string;
  logger: Logger;
  /** Jobs per throughput measurement. */
  jobs: number;
  /** Jobs (and inserts) per fixed-rate measurement. */
  rateJobs: number;
  ratePerSecond: number;
  inFlight: number;
  timeoutMs: number;
  /** The database the pipeline uses: the raw insert goes there through the driver. */
  databaseUrl: string;
  /** SQLite: also time a bare better-sqlite3 prepared statement on the same file. */
  sqliteFile?: string;
}

export interface RawResults {
  /** CPU per message of the 2-hop chain (the pipeline's queue skeleton). */
  twoHopCpu: CpuPerItem;
  addBulkPerSecond: number;
  singleAddPerSecond: number;
  twoHopPerSecond: number;
  insertPerSecond: number;
  oneHopAtRate: Summary;
  twoHopAtRate: Summary;
  insertAtRate: Summary;
  /** Microseconds per database operation, one at a time (what a message's ~30 operations cost). */
  operations: Array<[string, number]>;
}

const JOB_OPTIONS = { removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } };

interface RawQueue {
  queue: Queue;
  close(): Promise<void>;
}

export async function measureRawBaselines(s: RawSettings, db: Db): Promise<RawResults> {
  /** A queue whose worker (concurrency 50, like the pipeline's reply worker) runs `onJob`. */
  async function rawQueue(name: string, onJob: (i: number) => Promise<void> | void): Promise<RawQueue> {
    const connections: [Redis, Redis] = [createRedis(s.redisUrl), createRedis(s.redisUrl)];
    const queue = new Queue(name, { connection: connections[0], prefix: s.prefix });
    const worker = new Worker(name, async (job) => onJob((job.data as { i: number }).i), {
      connection: connections[1],
      prefix: s.prefix,
      concurrency: 50,
    });
    worker.on('error', (error) => s.logger.error({ err: error }, 'raw worker error'));
    await Promise.all([worker.waitUntilReady(), queue.waitUntilReady()]);
    return {
      queue,
      async close() {
        await worker.close();
        await queue.close();
        for (const c of connections) c.disconnect();
      },
    };
  }

  /** Counts completions; `doneAt[i]` is when job i's processor ran. */
  function completions(size: number) {
    const doneAt = new Float64Array(size);
    let done = 0;
    return {
      doneAt,
      done: () => done,
      mark(i: number) {
        if (i < size) doneAt[i] = now();
        done++;
      },
    };
  }

  /** The pipeline's queue skeleton without its work: job A's processor adds job B. */
  async function twoHop(name: string, size: number) {
    const seen = completions(size);
    const second = await rawQueue(`${name}-b`, (i) => seen.mark(i));
    const first = await rawQueue(`${name}-a`, async (i) => {
      await second.queue.add('hop', { i }, JOB_OPTIONS);
    });
    return {
      seen,
      add: (i: number) => first.queue.add('noop', { i }, JOB_OPTIONS).then(() => undefined),
      close: async () => {
        await first.close();
        await second.close();
      },
    };
  }

  let lastCpu: CpuPerItem = { processMs: Number.NaN, redisMs: Number.NaN };
  async function throughput(
    what: string,
    seen: { done: () => number },
    send: () => Promise<void>,
    close: () => Promise<void>,
  ): Promise<number> {
    const meter = await cpuMeter(s.admin);
    const start = now();
    await send();
    await waitUntil(what, () => seen.done() >= s.jobs, s.timeoutMs);
    const seconds = (now() - start) / 1000;
    lastCpu = await meter(s.jobs);
    await close();
    return s.jobs / seconds;
  }

  async function atRate(
    what: string,
    seen: ReturnType<typeof completions>,
    add: (i: number) => Promise<void>,
    close: () => Promise<void>,
  ): Promise<Summary> {
    const due = new Float64Array(s.rateJobs);
    await openLoop(
      s.rateJobs,
      s.ratePerSecond,
      async (i, dueAt) => {
        due[i] = dueAt;
        await add(i);
      },
      s.timeoutMs,
    );
    await waitUntil(what, () => seen.done() >= s.rateJobs, s.timeoutMs);
    await close();
    return summarize(Array.from(due, (dueAt, i) => (seen.doneAt[i] ?? 0) - dueAt));
  }

  // addBulk + drain: the figure /work/shared/ENVIRONMENT.md quotes as the ceiling.
  const bulkSeen = completions(0);
  const bulk = await rawQueue('raw-bulk', (i) => bulkSeen.mark(i));
  const addBulkPerSecond = await throughput(
    'raw addBulk drain',
    bulkSeen,
    async () => {
      for (let at = 0; at < s.jobs; at += 1000) {
        const size = Math.min(1000, s.jobs - at);
        await bulk.queue.addBulk(
          Array.from({ length: size }, (_, k) => ({ name: 'noop', data: { i: at + k }, opts: JOB_OPTIONS })),
        );
      }
    },
    bulk.close,
  );

  // Single adds with bounded parallelism: what handleInbound does (one add per message).
  const singleSeen = completions(0);
  const single = await rawQueue('raw-single', (i) => singleSeen.mark(i));
  const singleAddPerSecond = await throughput(
    'raw single-add drain',
    singleSeen,
    () =>
      boundedParallel(s.jobs, s.inFlight, async (i) => {
        await single.queue.add('noop', { i }, JOB_OPTIONS);
      }),
    single.close,
  );

  const chain = await twoHop('raw-chain', 0);
  const twoHopPerSecond = await throughput(
    'raw 2-hop drain',
    chain.seen,
    () => boundedParallel(s.jobs, s.inFlight, chain.add),
    chain.close,
  );
  const twoHopCpu = lastCpu;

  const oneSeen = completions(s.rateJobs);
  const one = await rawQueue('raw-rate', (i) => oneSeen.mark(i));
  const oneHopAtRate = await atRate(
    'raw 1-hop at rate',
    oneSeen,
    async (i) => {
      await one.queue.add('noop', { i }, JOB_OPTIONS);
    },
    one.close,
  );

  const chainAtRate = await twoHop('raw-chain-rate', s.rateJobs);
  const twoHopAtRate = await atRate(
    'raw 2-hop at rate',
    chainAtRate.seen,
    chainAtRate.add,
    chainAtRate.close,
  );

  const inserts = await measureInserts(s, db);
  const operations = await measureOperations(db, s.sqliteFile);
  return {
    operations,
    twoHopCpu,
    addBulkPerSecond,
    singleAddPerSecond,
    twoHopPerSecond,
    oneHopAtRate,
    twoHopAtRate,
    ...inserts,
  };
}

/** A prepared insert into `messages` through the bare driver, autocommitted. */
async function rawInsert(
  s: RawSettings,
  conversationId: string,
  authorId: string,
): Promise<{ insert(id: string): Promise<void>; close(): Promise<void> }> {
  const columns =
    '"conversationId", "authorId", content, "platformMessageId", "isActive", "sentAt", "createdAt", "updatedAt"';
  if (s.sqliteFile) {
    const raw = new Database(s.sqliteFile);
    raw.pragma('synchronous = NORMAL');
    const statement = raw.prepare(`INSERT INTO messages (${columns}) VALUES (?, ?, ?, ?, 1, ?, ?, ?)`);
    return {
      async insert(id) {
        const at = new Date().toISOString();
        statement.run(conversationId, authorId, 'raw insert', id, at, at, at);
      },
      async close() {
        raw.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: s.databaseUrl });
  await client.connect();
  const text = `INSERT INTO messages (${columns}) VALUES ($1, $2, $3, $4, true, $5, $5, $5)`;
  return {
    async insert(id) {
      await client.query({
        name: 'raw-insert',
        text,
        values: [conversationId, authorId, 'raw insert', id, new Date()],
      });
    },
    close: () => client.end(),
  };
}

/** One insert into `messages` through the bare driver: back to back, and at the rate. */
async function measureInserts(
  s: RawSettings,
  db: Db,
): Promise<{ insertPerSecond: number; insertAtRate: Summary }> {
  const workspace = await ensureWorkspace(db, 'shell', 'raw-insert');
  const author = await ensureUser(db, {
    platform: 'shell',
    externalId: 'raw-insert',
    displayName: 'raw',
    isBot: false,
  });
  const conversation = await ensureConversation(
    db,
    { platform: 'shell', workspaceId: workspace.id, channelId: 'raw-insert' },
    'dm',
  );
  const raw = await rawInsert(s, conversation.id, author.id);
  const insert = raw.insert;
  const sequential = 1000;
  const start = now();
  for (let i = 0; i < sequential; i++) await insert(`seq-${i}`);
  const insertPerSecond = sequential / ((now() - start) / 1000);
  const latency = new Float64Array(s.rateJobs);
  await openLoop(
    s.rateJobs,
    s.ratePerSecond,
    async (i, dueAt) => {
      await insert(`rate-${i}`);
      latency[i] = now() - dueAt;
    },
    s.timeoutMs,
  );
  await raw.close();
  return { insertPerSecond, insertAtRate: summarize(Array.from(latency)) };
}

/** Typical single operations of the message path, each timed back to back after a short warm-up. */
async function measureOperations(db: Db, sqliteFile: string | undefined): Promise<Array<[string, number]>> {
  const workspace = await ensureWorkspace(db, 'shell', 'ops');
  const author = await ensureUser(db, {
    platform: 'shell',
    externalId: 'ops',
    displayName: 'o',
    isBot: false,
  });
  const conversation = await ensureConversation(
    db,
    { platform: 'shell', workspaceId: workspace.id, channelId: 'ops' },
    'dm',
  );
  const message = (id: string) => ({
    conversationId: conversation.id,
    authorId: author.id,
    content: 'op',
    platformMessageId: id,
    sentAt: new Date(),
  });
  let serial = 0;
  const next = () => `op-${serial++}`;
  const timings: Array<[string, number]> = [];
  const time = async (label: string, n: number, op: () => unknown) => {
    for (let i = 0; i < 50; i++) await op();
    const start = now();
    for (let i = 0; i < n; i++) await op();
    timings.push([label, ((now() - start) / n) * 1000]);
  };
  await time('Prisma findUnique (unique key)', 500, () =>
    db.workspace.findUnique({ where: { platform_externalId: { platform: 'shell', externalId: 'ops' } } }),
  );
  await time('Prisma create (messages)', 500, () => db.message.create({ data: message(next()) }));
  await time('Prisma findMany take 20 + author + agent', 300, () =>
    db.message.findMany({
      where: { conversationId: conversation.id },
      orderBy: { id: 'desc' },
      take: 20,
      include: { author: true, agent: true },
    }),
  );
  await time('Prisma updateMany (no row matches)', 500, () =>
    db.agent.updateMany({ where: { id: 'none', status: 'active' }, data: { status: 'inactive' } }),
  );
  await time('Prisma $transaction, 2 creates', 200, () =>
    db.$transaction(async (tx) => {
      await tx.message.create({ data: message(next()) });
      await tx.message.create({ data: message(next()) });
    }),
  );
  await time('Prisma createMany, 100 rows (per row)', 10, () =>
    db.message.createMany({ data: Array.from({ length: 100 }, () => message(next())) }),
  );
  const last = timings[timings.length - 1];
  if (last) last[1] /= 100;
  if (sqliteFile) {
    const raw = new Database(sqliteFile);
    raw.pragma('synchronous = NORMAL');
    const select = raw.prepare('SELECT * FROM workspaces WHERE platform = ? AND externalId = ?');
    const insert = raw.prepare(
      'INSERT INTO messages (conversationId, authorId, content, platformMessageId, isActive, sentAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, 1, ?, ?, ?)',
    );
    await time('better-sqlite3 prepared select (no Prisma)', 2000, () => select.get('shell', 'ops'));
    await time('better-sqlite3 prepared insert (no Prisma)', 2000, () => {
      const at = new Date().toISOString();
      return insert.run(conversation.id, author.id, 'op', next(), at, at, at);
    });
    raw.close();
  }
  return timings;
}
