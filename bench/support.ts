/**
 * Helpers for bench/pipeline.bench.ts: an in-memory platform adapter, percentiles, an open-loop
 * sender, bounded waits, and counters for SQL statements and Redis commands (attributed to the
 * pipeline stage that issued them through AsyncLocalStorage).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type {
  BotIdentity,
  OnPartPosted,
  OutboundReply,
  Platform,
  PlatformAdapter,
  TypingTarget,
} from '../src/core/types.ts';

export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An in-memory platform: `deliver` notes when each reply arrived and hands it to `onDeliver`. */
export class MemoryAdapter implements PlatformAdapter {
  delivered = 0;
  onDeliver: (reply: OutboundReply, at: number) => void = () => {};
  private next = 1;

  constructor(
    readonly platform: Platform,
    private readonly bot: BotIdentity,
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  identity(): BotIdentity {
    return this.bot;
  }
  async deliver(reply: OutboundReply, onPosted?: OnPartPosted): Promise<string[]> {
    const at = now();
    this.delivered++;
    this.onDeliver(reply, at);
    const id = `bench-out-${this.next++}`;
    await onPosted?.({ index: 0, platformMessageId: id, last: true });
    return [id];
  }
  async startTyping(_target: TypingTarget): Promise<void> {}
  async stopTyping(_target: TypingTarget): Promise<void> {}
}

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of `values` (milliseconds). */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const count = sorted.length;
  const at = (p: number): number => {
    if (count === 0) return Number.NaN;
    const rank = Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1));
    return sorted[rank] ?? Number.NaN;
  };
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[count - 1] ?? Number.NaN,
    mean: count ? sum / count : Number.NaN,
  };
}

export class PhaseTimeout extends Error {}

/** Polls `done` every `everyMs` until it is true; throws PhaseTimeout naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 2,
): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!(await done())) {
    if (now() > deadline) throw new PhaseTimeout(`${what}: not done after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(everyMs);
  }
}

/**
 * Open loop: item i is due at start + i / rate, fired when due whether or not earlier ones have
 * finished (a slow system falls behind instead of slowing the sender). `fire` gets the due time,
 * so a late timer counts against the measured latency rather than hiding it.
 */
export async function openLoop(
  count: number,
  ratePerSecond: number,
  fire: (index: number, dueAt: number) => Promise<void>,
  timeoutMs: number,
): Promise<{ sendSeconds: number }> {
  const interval = 1000 / ratePerSecond;
  const start = now() + 5;
  const deadline = start + timeoutMs;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    const wait = due - now();
    if (wait > 1) await sleep(wait - 0.5);
    if (now() > deadline) throw new PhaseTimeout(`open loop: sending not done after ${timeoutMs} ms`);
    // Fired a little early (timer slack): measure from the real send time instead.
    pending.push(fire(i, Math.min(due, now())));
  }
  const sendSeconds = (now() - start) / 1000;
  await Promise.all(pending);
  return { sendSeconds };
}

/** Runs `task(0..count-1)` with at most `parallel` in flight. */
export async function boundedParallel(
  count: number,
  parallel: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
}

// ---- Census: which stage issues how many SQL statements and Redis commands ----

export type Stage = 'orchestrator' | 'replies' | 'deliveries' | 'other';

export const stage = new AsyncLocalStorage<Stage>();

export class Census {
  enabled = false;
  readonly sql = new Map<Stage, number>();
  /** Statements that read or write data (BEGIN, COMMIT and ROLLBACK left out). */
  sqlData = 0;
  readonly redis = new Map<Stage, number>();
  readonly redisByCommand = new Map<string, number>();
  readonly trace: string[] = [];
  traceLimit = 0;

  reset(): void {
    this.sql.clear();
    this.sqlData = 0;
    this.redis.clear();
    this.redisByCommand.clear();
    this.trace.length = 0;
  }

  noteSql(sql: string): void {
    if (!this.enabled) return;
    const where = stage.getStore() ?? 'other';
    this.sql.set(where, (this.sql.get(where) ?? 0) + 1);
    if (!/^\s*(BEGIN|COMMIT|ROLLBACK)/i.test(sql)) this.sqlData += 1;
    if (this.trace.length < this.traceLimit) this.trace.push(`sql   ${where.padEnd(12)} ${shorten(sql)}`);
  }

  noteRedis(command: string, firstArg: string): void {
    if (!this.enabled) return;
    const where = stage.getStore() ?? 'other';
    this.redis.set(where, (this.redis.get(where) ?? 0) + 1);
    this.redisByCommand.set(command, (this.redisByCommand.get(command) ?? 0) + 1);
    if (this.trace.length < this.traceLimit) {
      this.trace.push(`redis ${where.padEnd(12)} ${command} ${shorten(firstArg)}`);
    }
  }
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').replace(/`main`\./g, '');
  return flat.length > 150 ? `${flat.slice(0, 147)}...` : flat;
}

/** Counts every command any ioredis client in this process sends while `census.enabled`. */
export function countRedisCommands(census: Census): () => void {
  const proto = Redis.prototype;
  const original = proto.sendCommand;
  const scriptNames = new Map<string, string>();
  // BullMQ's and our Lua scripts go out as EVALSHA <sha>: name them after the command they define.
  const nameOf = (client: Redis, sha: string): string => {
    const known = scriptNames.get(sha);
    if (known) return known;
    const scripts = (client as unknown as { scriptsSet?: Record<string, { sha: string }> }).scriptsSet ?? {};
    for (const [name, script] of Object.entries(scripts)) scriptNames.set(script.sha, name);
    return scriptNames.get(sha) ?? sha.slice(0, 8);
  };
  proto.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    const [command] = args;
    if (census.enabled) {
      const first = String(command.args[0] ?? '');
      const name = command.name === 'evalsha' ? `evalsha:${nameOf(this, first)}` : command.name;
      const key = command.name === 'evalsha' ? String(command.args[2] ?? '') : first;
      census.noteRedis(name, key);
    }
    return original.apply(this, args);
  };
  return () => {
    proto.sendCommand = original;
  };
}

/** CPU time this process has used (all threads), in ms. */
export function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** CPU time the Redis server has used, in ms (the whole server: other clients count too). */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (key: string) => Number(new RegExp(`^${key}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (read('used_cpu_sys') + read('used_cpu_user')) * 1000;
}

export interface CpuPerItem {
  /** This process (orchestrator, workers, Prisma, SQLite: everything but Redis and Postgres). */
  processMs: number;
  redisMs: number;
}

/** Starts measuring; the returned function gives CPU ms per item since then. */
export async function cpuMeter(redis: Redis): Promise<(items: number) => Promise<CpuPerItem>> {
  const process0 = processCpuMs();
  const redis0 = await redisCpuMs(redis);
  return async (items) => ({
    processMs: (processCpuMs() - process0) / items,
    redisMs: ((await redisCpuMs(redis)) - redis0) / items,
  });
}

/** Where and when a run was measured, for the head of its --json file. */
export function runMeta(run: string, loadStart: number[], loadEnd: number[]) {
  return {
    run,
    date: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    loadStart,
    loadEnd,
  };
}
