/**
 * Prometheus metrics, fed by the event bus (counters, histograms) and, at scrape time, by the
 * queues (job counts by state). Each call builds its own Registry: nothing touches prom-client's
 * global one, so tests and several app instances in one process never collide.
 */
import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentBridgeEvents, EventBus } from '../core/events.ts';
import { withTimeout } from '../infra/redis.ts';
import type { Queues } from '../jobs/queues.ts';
import type { PriceTable } from '../usage/prices.ts';
import { registerUsageMetrics } from './usage-metrics.ts';

const PREFIX = 'agent_bridge_';

/** Inbound → delivered: a chat reply takes seconds, a slow model or a debounce window minutes. */
export const REPLY_LATENCY_BUCKETS = [0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120];
/** One model call; LLM_TIMEOUT_MS defaults to 60 s. */
export const FIRST_TOKEN_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5];
export const MODEL_CALL_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120];

/** The states `queue_jobs` reports, as BullMQ names them in `getJobCounts`. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/**
 * `res.locals` flag the admin guard sets when the request proved it holds ADMIN_TOKEN: only then
 * does /metrics include Node's process metrics.
 */
export const PROCESS_METRICS_LOCAL = 'adminAuthenticated';

export interface MetricsOptions {
  bus: EventBus<AgentBridgeEvents>;
  /** When given, `queue_jobs` reports their job counts at every scrape. */
  queues?: Queues;
  /** Bound on the queue counts at scrape time, so a Redis outage cannot hang /metrics [2000]. */
  queueTimeoutMs?: number;
  /** Prices for `model_cost_usd_total` (MODEL_PRICES); the shipped defaults when absent. */
  prices?: PriceTable;
}

export interface Metrics {
  registry: Registry;
  /** Serves the text exposition format (mount it behind the admin guard). */
  handler: RequestHandler;
  /** Removes the bus listeners; the registry keeps its last values. */
  stop(): void;
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const { bus, queues } = opts;
  const queueTimeoutMs = opts.queueTimeoutMs ?? 2000;
  const register = new Registry();
  // Unprefixed (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...): what stock dashboards
  // expect. Kept apart: they describe the process (memory, file descriptors, versions), so they
  // are served only to a request that presented ADMIN_TOKEN (see `PROCESS_METRICS_LOCAL`).
  const processRegister = new Registry();
  collectDefaultMetrics({ register: processRegister });
  const registers = [register];

  const inbound = new Counter({
    name: `${PREFIX}inbound_messages_total`,
    help: 'Inbound messages stored, by platform.',
    labelNames: ['platform'] as const,
    registers,
  });
  const replies = new Counter({
    name: `${PREFIX}replies_total`,
    help: 'Replies by agent id and outcome: delivered (posted) or failed (reply job out of attempts).',
    labelNames: ['agent', 'outcome'] as const,
    registers,
  });
  const latency = new Histogram({
    name: `${PREFIX}reply_latency_seconds`,
    help: "Seconds from the trigger message's platform timestamp to the reply being posted.",
    buckets: REPLY_LATENCY_BUCKETS,
    registers,
  });
  const modelCall = new Histogram({
    name: `${PREFIX}model_call_seconds`,
    help: 'Seconds spent in the model call of a completed reply job.',
    buckets: MODEL_CALL_BUCKETS,
    registers,
  });
  const firstToken = new Histogram({
    name: `${PREFIX}time_to_first_token_seconds`,
    help: "Streamed replies: seconds from the model's first token to the first text a person sees.",
    labelNames: ['platform'] as const,
    buckets: FIRST_TOKEN_BUCKETS,
    registers,
  });
  const debounced = new Counter({
    name: `${PREFIX}debounced_messages_total`,
    help: 'Messages that joined a reply job already waiting in its debounce window.',
    registers,
  });
  const decisions = new Counter({
    name: `${PREFIX}reply_decisions_total`,
    help: 'Reply decisions by reason (addressed, direct_message, not_addressed, loop_limit, ...).',
    labelNames: ['reason'] as const,
    registers,
  });
  const loops = new Counter({
    name: `${PREFIX}loops_prevented_total`,
    help: 'Agent-to-agent chains stopped at MAX_AGENT_HOPS.',
    registers,
  });
  const rateLimited = new Counter({
    name: `${PREFIX}rate_limited_waits_total`,
    help: "Times a reply waited on its agent's or its model provider's rate or concurrency limit.",
    labelNames: ['scope', 'limit'] as const,
    registers,
  });
  const notices = new Counter({
    name: `${PREFIX}platform_notices_total`,
    help: 'Notices from a platform about the app itself: app_rate_limited, uninstalled, tokens_revoked, unhandled requests.',
    labelNames: ['platform', 'kind'] as const,
    registers,
  });
  const failures = new Counter({
    name: `${PREFIX}job_failures_total`,
    help: 'Failed job attempts by queue; final="true" when attempts are exhausted.',
    labelNames: ['queue', 'final'] as const,
    registers,
  });
  const feedback = new Counter({
    name: `${PREFIX}feedback_total`,
    help: 'Votes on replies (👍 up, 👎 down), counted when cast and when a person changes theirs.',
    labelNames: ['vote'] as const,
    registers,
  });
  for (const vote of ['up', 'down']) feedback.inc({ vote }, 0);
  // Known label sets start at 0, so rate() and alerts see the first failure as an increase.
  for (const queue of ['replies', 'deliveries']) {
    for (const final of ['true', 'false']) failures.inc({ queue, final }, 0);
  }
  for (const scope of ['agent', 'provider']) {
    for (const limit of ['rate', 'concurrency']) rateLimited.inc({ scope, limit }, 0);
  }

  if (queues) registerQueueGauges(registers, queues, queueTimeoutMs);

  const unsubscribe = [
    registerUsageMetrics(registers, bus, opts.prices ? { prices: opts.prices } : {}),
    bus.on('message.created', (e) => inbound.inc({ platform: e.platform })),
    bus.on('reply.decided', (e) => {
      decisions.inc({ reason: e.reason });
      if (e.reason === 'loop_limit') loops.inc();
    }),
    bus.on('message.debounced', () => debounced.inc()),
    bus.on('rate.limited', (e) => rateLimited.inc({ scope: e.scope, limit: e.limit })),
    bus.on('platform.notice', (e) => notices.inc({ platform: e.platform, kind: e.kind })),
    bus.on('feedback.recorded', (e) => feedback.inc({ vote: e.vote })),
    bus.on('reply.first_visible', (e) => firstToken.observe({ platform: e.platform }, e.seconds)),
    bus.on('job.completed', (e) => {
      if (e.llmMs !== undefined) modelCall.observe(e.llmMs / 1000);
    }),
    bus.on('agent.responded', (e) => {
      replies.inc({ agent: e.agentId, outcome: 'delivered' });
      if (Number.isFinite(e.latencyMs) && e.latencyMs >= 0) latency.observe(e.latencyMs / 1000);
    }),
    bus.on('job.failed', (e) => {
      failures.inc({ queue: e.queue, final: String(e.final) });
      if (e.final && e.queue === 'replies') replies.inc({ agent: e.agentId, outcome: 'failed' });
    }),
  ];

  const handler: RequestHandler = async (_req, res) => {
    try {
      const withProcess = res.locals[PROCESS_METRICS_LOCAL] === true;
      const text = withProcess
        ? `${await processRegister.metrics()}\n${await register.metrics()}`
        : await register.metrics();
      res.set('Content-Type', register.contentType).send(text);
    } catch (error) {
      res
        .status(500)
        .type('text/plain')
        .send(`metrics unavailable: ${(error as Error).message}\n`);
    }
  };

  return {
    registry: register,
    handler,
    stop() {
      for (const off of unsubscribe) off();
    },
  };
}

type QueueCounts = { queue: string; counts?: Record<string, number> };

/**
 * `queue_jobs{queue,state}` and `queue_up{queue}`, read from Redis at scrape time. Both gauges'
 * collect() run concurrently within one scrape, so they share a single read.
 */
function registerQueueGauges(registers: Registry[], queues: Queues, timeoutMs: number): void {
  const targets = [queues.replies, queues.deliveries] as const;
  let pending: Promise<QueueCounts[]> | undefined;
  const read = (): Promise<QueueCounts[]> => {
    pending ??= Promise.all(
      targets.map(async (queue): Promise<QueueCounts> => {
        try {
          return {
            queue: queue.name,
            counts: await withTimeout(queue.getJobCounts(...QUEUE_STATES), timeoutMs),
          };
        } catch {
          // A Redis blip must not fail the scrape: queue_up says 0 and this queue's depth is absent.
          return { queue: queue.name };
        }
      }),
    ).finally(() => {
      pending = undefined;
    });
    return pending;
  };

  new Gauge({
    name: `${PREFIX}queue_jobs`,
    help: 'Jobs in each queue by state, read at scrape time (absent while the queue does not answer).',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      const results = await read();
      this.reset();
      for (const { queue, counts } of results) {
        if (!counts) continue;
        for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: `${PREFIX}queue_up`,
    help: 'Whether the queue answered its job counts at this scrape (1) or not within the timeout (0).',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      for (const { queue, counts } of await read()) this.set({ queue }, counts ? 1 : 0);
    },
  });
}
