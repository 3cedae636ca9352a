/**
 * The real pipeline (createPipeline) with an instant model and an in-memory adapter, and the phases
 * that drive it: warm-up, a burst for throughput, fixed rates for latency, and a census of the
 * SQL statements and Redis commands one message costs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import type { InboundMessage } from '../src/core/types.ts';
import { PrismaClient as SqliteClient } from '../src/generated/sqlite/client.ts';
import { createPipeline, type PipelineOptions } from '../src/pipeline.ts';
import { createAgent } from '../src/store/agents.ts';
import type { Db } from '../src/store/database.ts';
import { ensureWorkspace } from '../src/store/identities.ts';
import {
  boundedParallel,
  Census,
  type CpuPerItem,
  countingAdapterFactory,
  countRedisCommands,
  cpuMeter,
  MemoryAdapter,
  now,
  openLoop,
  type Summary,
  sleep,
  stage,
  summarize,
  waitUntil,
} from './support.ts';

/** createPipeline's options minus the ones each bench pipeline sets itself. */
export type BenchPipelineOptions = Omit<PipelineOptions, 'db' | 'adapters' | 'role'>;

const BOT = { userId: 'agent-bridge', name: 'agent-bridge' };

/** Per-message timestamps of one phase, filled from the adapter and the event bus. */
class Tracker {
  readonly due: Float64Array;
  readonly inbound: Float64Array;
  readonly responding: Float64Array;
  readonly completed: Float64Array;
  readonly delivered: Float64Array;
  deliveredCount = 0;
  notScheduled = 0;
  /** handleInbound threw (the message never got in). */
  errors = 0;
  firstError: string | undefined;

  constructor(
    readonly phase: string,
    readonly count: number,
  ) {
    this.due = new Float64Array(count);
    this.inbound = new Float64Array(count);
    this.responding = new Float64Array(count);
    this.completed = new Float64Array(count);
    this.delivered = new Float64Array(count);
  }

  indexOfChannel(channelId: string): number | undefined {
    if (!channelId.startsWith(`${this.phase}-`)) return undefined;
    const index = Number(channelId.slice(this.phase.length + 1));
    return Number.isInteger(index) && index >= 0 && index < this.count ? index : undefined;
  }

  /** Milliseconds from due to each mark, over the messages that were delivered. */
  since(marks: Float64Array): Summary {
    const values: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const mark = marks[i] ?? 0;
      if ((this.delivered[i] ?? 0) > 0 && mark > 0) values.push(mark - (this.due[i] ?? 0));
    }
    return summarize(values);
  }

  lastDelivery(): number {
    return this.delivered.reduce((a, b) => Math.max(a, b), 0);
  }
}

export interface PhaseProblems {
  notScheduled: number;
  errors: number;
  firstError?: string;
}

export interface ThroughputResult extends PhaseProblems {
  perSecond: number;
  /** handleInbound calls completed per second (the orchestrator's pace under this load). */
  inboundPerSecond: number;
  latency: Summary;
  /** CPU per delivered message, from the first send to the last delivery. */
  cpu: CpuPerItem;
}

export interface AtRateResult extends PhaseProblems {
  rate: number;
  sendSeconds: number;
  /** Messages delivered per second over the phase (below `rate`: the pipeline fell behind). */
  deliveredPerSecond: number;
  inbound: Summary;
  responding: Summary;
  completed: Summary;
  delivered: Summary;
}

export function inboundMessage(phase: string, index: number): InboundMessage {
  return {
    platform: 'shell',
    workspaceId: 'local',
    // One conversation per message: debouncing never merges two of them.
    channelId: `${phase}-${index}`,
    isDirect: true,
    author: { id: 'bench-user', displayName: 'Bench User', isBot: false },
    text: `hello number ${index}`,
    mentionedUserIds: [],
    mentionedAgentNames: [],
    platformMessageId: `${phase}-${index}`,
    sentAt: new Date(),
  };
}

/** The one agent of the shell workspace, so every DM goes to it; no per-agent concurrency cap. */
async function addBenchAgent(db: Db): Promise<void> {
  const workspace = await ensureWorkspace(db, 'shell', 'local');
  const existing = await db.agent.findFirst({ where: { workspaceId: workspace.id, isActive: true } });
  if (existing) return;
  await createAgent(
    db,
    { workspaceId: workspace.id, name: 'Bencher', role: 'benchmark', maxConcurrentJobs: 1000 },
    { label: 'bench' },
  );
}

function problems(t: Tracker): PhaseProblems {
  return {
    notScheduled: t.notScheduled,
    errors: t.errors,
    ...(t.firstError !== undefined && { firstError: t.firstError }),
  };
}

export interface BenchPipeline {
  warmup(count: number): Promise<void>;
  burst(count: number, inFlight: number): Promise<ThroughputResult>;
  atRate(phase: string, ratePerSecond: number, count: number): Promise<AtRateResult>;
  failedAttempts(): number;
  close(): Promise<void>;
}

export async function startBenchPipeline(
  db: Db,
  options: BenchPipelineOptions,
  timeoutMs: number,
): Promise<BenchPipeline> {
  await addBenchAgent(db);
  const adapter = new MemoryAdapter('shell', BOT);
  const pipeline = createPipeline({ ...options, db, adapters: { shell: adapter } });
  const messageIndex = new AsyncLocalStorage<number>();
  const byConversation = new Map<string, number>();
  let tracker = new Tracker('none', 0);
  let failedAttempts = 0;
  const mark = (conversationId: string, marks: Float64Array) => {
    const index = byConversation.get(conversationId);
    if (index !== undefined) marks[index] = now();
  };
  pipeline.bus.on('message.created', ({ conversationId }) => {
    const index = messageIndex.getStore();
    if (index !== undefined) byConversation.set(conversationId, index);
  });
  pipeline.bus.on('agent.responding', ({ conversationId }) => mark(conversationId, tracker.responding));
  pipeline.bus.on('job.completed', ({ conversationId }) => mark(conversationId, tracker.completed));
  pipeline.bus.on('job.failed', () => {
    failedAttempts++;
  });
  adapter.onDeliver = (reply, at) => {
    const index = tracker.indexOfChannel(reply.channelId);
    if (index === undefined || (tracker.delivered[index] ?? 0) > 0) return;
    tracker.delivered[index] = at;
    tracker.deliveredCount++;
  };

  const track = (phase: string, count: number) => {
    tracker = new Tracker(phase, count);
    byConversation.clear();
    return tracker;
  };
  /** Never rejects: a failed handleInbound is counted (an unhandled rejection would end the run). */
  const send = async (t: Tracker, index: number) => {
    try {
      const outcome = await messageIndex.run(index, () =>
        pipeline.orchestrator.handleInbound(inboundMessage(t.phase, index)),
      );
      t.inbound[index] = now();
      if (outcome.status !== 'scheduled') t.notScheduled++;
    } catch (error) {
      t.errors++;
      t.firstError ??= error instanceof Error ? error.message.trim().split('\n').slice(-1)[0] : String(error);
    }
  };
  const delivered = (t: Tracker) =>
    waitUntil(
      `${t.phase}: ${t.count} deliveries (${t.deliveredCount} so far, ${failedAttempts} failed attempts)`,
      () => t.deliveredCount >= t.count - t.errors - t.notScheduled,
      timeoutMs,
    );
  const pending = async () => {
    const states = ['active', 'wait', 'delayed', 'prioritized', 'waiting-children'] as const;
    const [replies, deliveries] = await Promise.all([
      pipeline.queues.replies.getJobCounts(...states),
      pipeline.queues.deliveries.getJobCounts(...states),
    ]);
    return [...Object.values(replies), ...Object.values(deliveries)].reduce((a, b) => a + b, 0);
  };
  // The delivery job goes on after the post (stores the platform id, checks agent-to-agent).
  const quiesce = () =>
    waitUntil('pipeline queues to drain', async () => (await pending()) === 0, 60_000, 20);

  return {
    async warmup(count) {
      const t = track('warmup', count);
      await boundedParallel(count, 16, (i) => {
        t.due[i] = now();
        return send(t, i);
      });
      await delivered(t);
      await quiesce();
    },

    async burst(count, inFlight) {
      const t = track('burst', count);
      const meter = await cpuMeter(pipeline.redis);
      const start = now();
      await boundedParallel(count, inFlight, (i) => {
        t.due[i] = now();
        return send(t, i);
      });
      const inboundSeconds = (now() - start) / 1000;
      await delivered(t);
      const seconds = (t.lastDelivery() - start) / 1000;
      const cpu = await meter(t.deliveredCount);
      await quiesce();
      return {
        cpu,
        perSecond: t.deliveredCount / seconds,
        inboundPerSecond: count / inboundSeconds,
        latency: t.since(t.delivered),
        ...problems(t),
      };
    },

    async atRate(phase, ratePerSecond, count) {
      const t = track(phase, count);
      const { sendSeconds } = await openLoop(
        count,
        ratePerSecond,
        (i, dueAt) => {
          t.due[i] = dueAt;
          return send(t, i);
        },
        timeoutMs,
      );
      await delivered(t);
      const seconds = (t.lastDelivery() - (t.due[0] ?? 0)) / 1000;
      await quiesce();
      return {
        rate: ratePerSecond,
        sendSeconds,
        deliveredPerSecond: t.deliveredCount / seconds,
        inbound: t.since(t.inbound),
        responding: t.since(t.responding),
        completed: t.since(t.completed),
        delivered: t.since(t.delivered),
        ...problems(t),
      };
    },

    failedAttempts: () => failedAttempts,
    close: () => pipeline.close(),
  };
}

// ---- census ---------------------------------------------------------------------------------

export interface CensusResult {
  messages: number;
  /** Per message, by stage. */
  sql: Record<string, number>;
  redis: Record<string, number>;
  /** Per message, by command (EVALSHA named after its script). */
  redisByCommand: Array<[string, number]>;
  trace: string[];
}

/**
 * SQL statements and Redis commands per message, one message at a time (SQLite only: the counting
 * client wraps the better-sqlite3 driver adapter). The gateway (orchestrator + deliveries) and the
 * reply worker are created in their own async contexts, so every statement is attributed.
 */
export async function runCensus(
  sqliteFile: string,
  options: BenchPipelineOptions,
  messages: number,
  trace: boolean,
): Promise<CensusResult> {
  const census = new Census();
  const restoreRedis = countRedisCommands(census);
  const db = new SqliteClient({
    adapter: countingAdapterFactory(
      new PrismaBetterSQLite3({ url: `file:${sqliteFile}`, timeout: 5000 }),
      census,
    ),
  });
  await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await addBenchAgent(db);
  const adapter = new MemoryAdapter('shell', BOT);
  const common = { ...options, db, adapters: { shell: adapter }, prefix: `${options.prefix}c` };
  const gateway = stage.run('deliveries', () => createPipeline({ ...common, role: 'gateway' }));
  const worker = stage.run('replies', () => createPipeline({ ...common, role: 'worker' }));
  try {
    const one = async (index: number) => {
      const before = adapter.delivered;
      await stage.run('orchestrator', () =>
        gateway.orchestrator.handleInbound(inboundMessage('census', index)),
      );
      await waitUntil('census delivery', () => adapter.delivered > before, 10_000, 1);
      // Let the delivery job finish its bookkeeping after the post.
      await sleep(40);
    };
    for (let i = 0; i < 3; i++) await one(i);
    census.reset();
    census.enabled = true;
    census.traceLimit = trace ? 1000 : 0;
    for (let i = 3; i < 3 + messages; i++) {
      await one(i);
      census.traceLimit = census.trace.length;
    }
    census.enabled = false;
    const per = (map: Map<string, number>) => Object.fromEntries([...map].map(([k, v]) => [k, v / messages]));
    return {
      messages,
      sql: per(census.sql),
      redis: per(census.redis),
      redisByCommand: [...census.redisByCommand]
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]): [string, number] => [name, n / messages]),
      trace: census.trace,
    };
  } finally {
    await gateway.close();
    await worker.close();
    await db.$disconnect();
    restoreRedis();
  }
}
