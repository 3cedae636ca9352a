/**
 * The real pipeline (createPipeline) with an instant model and an in-memory adapter, and the phases
 * that drive it: warm-up, a burst for throughput, fixed rates for latency, and a census of the
 * SQL statements and Redis commands one message costs.
 */
import type { InboundMessage } from '../src/core/types.ts';
import { createPipeline, type PipelineOptions } from '../src/pipeline.ts';
import { createAgent } from '../src/store/agents.ts';
import type { Db } from '../src/store/database.ts';
import { openHotStore } from '../src/store/hot/open.ts';
import type { HotStore } from '../src/store/hot/types.ts';
import { ensureWorkspace } from '../src/store/identities.ts';
import {
  boundedParallel,
  Census,
  type CpuPerItem,
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
export type BenchPipelineOptions = Omit<PipelineOptions, 'db' | 'store' | 'adapters' | 'role'>;

export interface BenchStores {
  db: Db;
  store: HotStore;
  /** Sees the store's statements: the burst counts them (and this process's Redis commands). */
  census: Census;
}

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
  /** Per delivered message over the whole burst (at load, BullMQ fetches the next job as it finishes one). */
  sqlPerMessage: number;
  sqlDataPerMessage: number;
  redisPerMessage: number;
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
  { db, store, census }: BenchStores,
  options: BenchPipelineOptions,
  timeoutMs: number,
): Promise<BenchPipeline> {
  await addBenchAgent(db);
  const adapter = new MemoryAdapter('shell', BOT);
  const pipeline = createPipeline({ ...options, db, store, adapters: { shell: adapter } });
  // No AsyncLocalStorage here: its promise hooks would tax every await of the pipeline measured.
  const conversationOfMessage = new Map<number, string>();
  const byConversation = new Map<string, number>();
  let tracker = new Tracker('none', 0);
  let failedAttempts = 0;
  const mark = (conversationId: string, marks: Float64Array) => {
    const index = byConversation.get(conversationId);
    if (index !== undefined) marks[index] = now();
  };
  pipeline.bus.on('message.created', ({ conversationId, messageId }) => {
    conversationOfMessage.set(messageId, conversationId);
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
    conversationOfMessage.clear();
    return tracker;
  };
  /** Never rejects: a failed handleInbound is counted (an unhandled rejection would end the run). */
  const send = async (t: Tracker, index: number) => {
    try {
      const outcome = await pipeline.orchestrator.handleInbound(inboundMessage(t.phase, index));
      t.inbound[index] = now();
      if ('messageId' in outcome) {
        const conversationId = conversationOfMessage.get(outcome.messageId);
        if (conversationId) byConversation.set(conversationId, index);
      }
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
      const restoreRedis = countRedisCommands(census);
      census.reset();
      census.enabled = true;
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
      census.enabled = false;
      restoreRedis();
      const total = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0);
      return {
        cpu,
        sqlPerMessage: total(census.sql) / t.deliveredCount,
        sqlDataPerMessage: census.sqlData / t.deliveredCount,
        redisPerMessage: total(census.redis) / t.deliveredCount,
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
  /** Per message, by stage; `sqlData` leaves out BEGIN/COMMIT. */
  sql: Record<string, number>;
  sqlData: number;
  redis: Record<string, number>;
  /** Per message, by command (EVALSHA named after its script). */
  redisByCommand: Array<[string, number]>;
  trace: string[];
}

/**
 * SQL statements and Redis commands per answered DM, one message at a time, in a conversation that
 * already exists (the steady state: the caches are warm). `split`: a gateway and a worker as two
 * pipelines (the deliveries queue carries the reply between them); otherwise one process, where
 * the reply is delivered inline. Each side runs in its own async context, so every statement and
 * command is attributed to a stage.
 */
export async function runCensus(
  databaseUrl: string,
  db: Db,
  options: BenchPipelineOptions,
  messages: number,
  trace: boolean,
  split: boolean,
): Promise<CensusResult> {
  const census = new Census();
  const restoreRedis = countRedisCommands(census);
  const store = openHotStore(databaseUrl, { onStatement: (sql) => census.noteSql(sql) });
  await addBenchAgent(db);
  const adapter = new MemoryAdapter('shell', BOT);
  const common = {
    ...options,
    db,
    store,
    adapters: { shell: adapter },
    prefix: `${options.prefix}${split ? 's' : 'c'}`,
    sweeper: false,
  };
  const pipelines = split
    ? [
        stage.run('deliveries', () => createPipeline({ ...common, role: 'gateway' })),
        stage.run('replies', () => createPipeline({ ...common, role: 'worker' })),
      ]
    : [stage.run('replies', () => createPipeline({ ...common, role: 'all' }))];
  const [front] = pipelines as [ReturnType<typeof createPipeline>];
  const phase = split ? 'census-split' : 'census-all';
  try {
    const one = async (index: number) => {
      const before = adapter.delivered;
      await stage.run('orchestrator', () => front.orchestrator.handleInbound(inboundMessage(phase, index)));
      await waitUntil('census delivery', () => adapter.delivered > before, 10_000, 1);
      // Let the job finish its bookkeeping after the post.
      await sleep(40);
    };
    // The conversation exists and the caches are warm, as for anyone who DMs an agent twice.
    const sameConversation = (index: number) => ({
      ...inboundMessage(phase, 0),
      platformMessageId: `${phase}-${index}`,
    });
    const oneMore = async (index: number) => {
      const before = adapter.delivered;
      await stage.run('orchestrator', () => front.orchestrator.handleInbound(sameConversation(index)));
      await waitUntil('census delivery', () => adapter.delivered > before, 10_000, 1);
      await sleep(40);
    };
    await one(0);
    for (let i = 1; i < 3; i++) await oneMore(i);
    census.reset();
    census.enabled = true;
    census.traceLimit = trace ? 1000 : 0;
    for (let i = 3; i < 3 + messages; i++) {
      await oneMore(i);
      census.traceLimit = census.trace.length;
    }
    census.enabled = false;
    const per = (map: Map<string, number>) => Object.fromEntries([...map].map(([k, v]) => [k, v / messages]));
    return {
      messages,
      sql: per(census.sql),
      sqlData: census.sqlData / messages,
      redis: per(census.redis),
      redisByCommand: [...census.redisByCommand]
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]): [string, number] => [name, n / messages]),
      trace: census.trace,
    };
  } finally {
    for (const pipeline of pipelines) await pipeline.close();
    await store.close();
    restoreRedis();
  }
}
