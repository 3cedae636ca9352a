import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/infra/redis.ts';
import { redisKeys } from '../../src/jobs/keys.ts';
import {
  type CallLimits,
  createCallLimits,
  type Limits,
  RATE_WINDOW_MS,
} from '../../src/worker/call-limits.ts';
import { waitFor } from '../support/wait-for.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// One namespace for this file, so parallel runs and other files never share a key.
const prefix = `abtest_limits_${randomUUID().slice(0, 8)}`;
const roomy = { maxConcurrent: 100, perMinute: 0 };

let redis: Redis;
let other: Redis;
let limits: AgentView;
let agentSeq = 0;
/** A fresh agent id per test: no test sees another's holders or calls. */
const newAgent = () => `agent-${++agentSeq}`;

/** One agent's limits alone, the common case: most tests below speak of one subject. */
function agentView(calls: CallLimits) {
  const agent = (id: string) => ({ scope: 'agent' as const, id });
  return {
    acquire: (id: string, holder: string, limits: Limits, leaseMs: number) =>
      calls.acquire(holder, [{ ...agent(id), limits }], leaseMs),
    release: (id: string, holder: string) => calls.release(holder, [agent(id)]),
    extend: (id: string, holder: string, leaseMs: number) => calls.extend(holder, [agent(id)], leaseMs),
    usage: (id: string) => calls.usage(agent(id)),
  };
}
type AgentView = ReturnType<typeof agentView>;
let calls: CallLimits;

beforeAll(() => {
  redis = createRedis(REDIS_URL);
  other = createRedis(REDIS_URL);
  calls = createCallLimits({ redis, keys: redisKeys(prefix), concurrencyPollMs: 300 });
  limits = agentView(calls);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all([redis.quit(), other.quit()]);
});

describe('call limits of one agent (real Redis)', () => {
  it('concurrency cap 2: the third acquire is refused until a holder releases', async () => {
    const agent = newAgent();
    const cap = { maxConcurrent: 2, perMinute: 0 };
    expect(await limits.acquire(agent, 'h1', cap, 30_000)).toEqual({ ok: true });
    expect(await limits.acquire(agent, 'h2', cap, 30_000)).toEqual({ ok: true });

    const refused = await limits.acquire(agent, 'h3', cap, 30_000);
    expect(refused).toMatchObject({ ok: false, limit: 'concurrency' });
    if (refused.ok) throw new Error('unreachable');
    expect(refused.retryInMs).toBeGreaterThan(0);
    expect(refused.retryInMs).toBeLessThanOrEqual(300); // the poll bound, leases are 30 s away
    expect(await limits.usage(agent)).toEqual({ running: 2, callsLastMinute: 2 });

    await limits.release(agent, 'h1');
    expect(await limits.acquire(agent, 'h3', cap, 30_000)).toEqual({ ok: true });
    expect(await limits.usage(agent)).toEqual({ running: 2, callsLastMinute: 3 });
  });

  it('perMinute 3: the fourth call in the window is refused for rate, releases do not help', async () => {
    const agent = newAgent();
    const rate = { maxConcurrent: 10, perMinute: 3 };
    for (const holder of ['a', 'b', 'c']) {
      expect(await limits.acquire(agent, holder, rate, 30_000)).toEqual({ ok: true });
      await limits.release(agent, holder);
    }
    expect(await limits.usage(agent)).toEqual({ running: 0, callsLastMinute: 3 });

    const refused = await limits.acquire(agent, 'd', rate, 30_000);
    expect(refused).toMatchObject({ ok: false, limit: 'rate' });
    if (refused.ok) throw new Error('unreachable');
    expect(refused.retryInMs).toBeGreaterThan(0);
    expect(refused.retryInMs).toBeLessThanOrEqual(RATE_WINDOW_MS);
    // The oldest call was made a moment ago: it leaves the window in almost a full minute.
    expect(refused.retryInMs).toBeGreaterThan(RATE_WINDOW_MS - 10_000);
    // A refused attempt records nothing.
    expect(await limits.usage(agent)).toEqual({ running: 0, callsLastMinute: 3 });
  });

  it('perMinute 0 and maxConcurrent 0 mean no limit', async () => {
    const agent = newAgent();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        limits.acquire(agent, `u${i}`, { maxConcurrent: 0, perMinute: 0 }, 30_000),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await limits.usage(agent)).toEqual({ running: 40, callsLastMinute: 40 });
  });

  it('an expired lease frees its slot (a crashed worker does not hold it forever)', async () => {
    const agent = newAgent();
    const cap = { maxConcurrent: 2, perMinute: 0 };
    // A live holder keeps the key alive: only the expired member must go, not the whole key.
    expect(await limits.acquire(agent, 'steady', cap, 30_000)).toEqual({ ok: true });
    expect(await limits.acquire(agent, 'crashed', cap, 50)).toEqual({ ok: true });
    const refused = await limits.acquire(agent, 'next', cap, 30_000);
    expect(refused).toMatchObject({ ok: false, limit: 'concurrency' });
    if (refused.ok) throw new Error('unreachable');
    expect(refused.retryInMs).toBeLessThanOrEqual(50); // the lease ends before the poll bound

    await waitFor(
      'the expired lease to stop counting',
      async () => (await limits.usage(agent)).running === 1,
    );
    expect(await limits.acquire(agent, 'next', cap, 30_000)).toEqual({ ok: true });
    expect(await limits.usage(agent)).toEqual({ running: 2, callsLastMinute: 3 });
    const members = await redis.zrange(`${prefix}:agent:${agent}:running`, '0', '-1');
    expect(members.sort()).toEqual(['next', 'steady']); // the crashed holder is gone from the key
  });

  it('re-acquiring with the same holder id is idempotent; extend keeps a held lease', async () => {
    const agent = newAgent();
    const cap = { maxConcurrent: 1, perMinute: 2 };
    expect(await limits.acquire(agent, 'job-1', cap, 30_000)).toEqual({ ok: true });
    expect(await limits.acquire(agent, 'job-1', cap, 30_000)).toEqual({ ok: true });
    expect(await limits.acquire(agent, 'job-1', cap, 30_000)).toEqual({ ok: true });
    expect(await limits.usage(agent)).toEqual({ running: 1, callsLastMinute: 1 });

    const before = Number(await redis.zscore(`${prefix}:agent:${agent}:running`, 'job-1'));
    expect(await limits.extend(agent, 'job-1', 120_000)).toBe(true);
    const after = Number(await redis.zscore(`${prefix}:agent:${agent}:running`, 'job-1'));
    expect(after - before).toBeGreaterThan(80_000);
    expect(await limits.extend(agent, 'job-1', 10)).toBe(true); // never shortens
    expect(Number(await redis.zscore(`${prefix}:agent:${agent}:running`, 'job-1'))).toBe(after);

    await limits.release(agent, 'job-1');
    expect(await limits.extend(agent, 'job-1', 30_000)).toBe(false); // not held: nothing to extend
    expect(await limits.usage(agent)).toEqual({ running: 0, callsLastMinute: 1 });
  });

  it('two connections racing 20 acquires against cap 3: exactly 3 win', async () => {
    const agent = newAgent();
    const remote = agentView(createCallLimits({ redis: other, keys: redisKeys(prefix) }));
    const cap = { maxConcurrent: 3, perMinute: 0 };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? limits : remote).acquire(agent, `w${i}`, cap, 30_000)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.limit === 'concurrency')).toHaveLength(17);
    expect(await remote.usage(agent)).toEqual({ running: 3, callsLastMinute: 3 });
  });

  it('two connections racing 20 acquires against perMinute 5: exactly 5 win', async () => {
    const agent = newAgent();
    const remote = agentView(createCallLimits({ redis: other, keys: redisKeys(prefix) }));
    const rate = { maxConcurrent: 0, perMinute: 5 };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? limits : remote).acquire(agent, `r${i}`, rate, 30_000)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.filter((r) => !r.ok && r.limit === 'rate')).toHaveLength(15);
    expect(await limits.usage(agent)).toEqual({ running: 5, callsLastMinute: 5 });
  });

  it('keys expire on their own and an idle agent leaves nothing behind', async () => {
    const agent = newAgent();
    expect(await limits.acquire(agent, 'x', roomy, 5_000)).toEqual({ ok: true });
    const running = `${prefix}:agent:${agent}:running`;
    const calls = `${prefix}:agent:${agent}:calls`;
    const runningTtl = await redis.pttl(running);
    expect(runningTtl).toBeGreaterThan(0);
    expect(runningTtl).toBeLessThanOrEqual(5_000);
    const callsTtl = await redis.pttl(calls);
    expect(callsTtl).toBeGreaterThan(0);
    expect(callsTtl).toBeLessThanOrEqual(RATE_WINDOW_MS);

    await limits.release(agent, 'x');
    expect(await redis.exists(running)).toBe(0);
  });

  it('rejects nonsense limits instead of guessing', async () => {
    const agent = newAgent();
    await expect(limits.acquire(agent, 'h', { maxConcurrent: -1, perMinute: 0 }, 1000)).rejects.toThrow(
      RangeError,
    );
    await expect(limits.acquire(agent, 'h', roomy, 0)).rejects.toThrow(RangeError);
    await expect(limits.acquire(agent, '', roomy, 1000)).rejects.toThrow(RangeError);
  });
});

describe('an agent and its provider together (real Redis)', () => {
  let providerSeq = 0;
  const newProvider = () => `provider-${++providerSeq}`;
  const claim = (agent: string, provider: string, providerLimits: Limits) => [
    { scope: 'agent' as const, id: agent, limits: { maxConcurrent: 10, perMinute: 0 } },
    { scope: 'provider' as const, id: provider, limits: providerLimits },
  ];
  const subjects = (agent: string, provider: string) => [
    { scope: 'agent' as const, id: agent },
    { scope: 'provider' as const, id: provider },
  ];

  it("a provider's cap counts the calls of every agent on it", async () => {
    const provider = newProvider();
    const cap = { maxConcurrent: 2, perMinute: 0 };
    const [a, b, c] = [newAgent(), newAgent(), newAgent()];
    expect(await calls.acquire('j1', claim(a, provider, cap), 30_000)).toEqual({ ok: true });
    expect(await calls.acquire('j2', claim(b, provider, cap), 30_000)).toEqual({ ok: true });
    const refused = await calls.acquire('j3', claim(c, provider, cap), 30_000);
    expect(refused).toMatchObject({ ok: false, scope: 'provider', limit: 'concurrency' });

    // All or none: the refused call holds nothing of its agent either.
    expect(await calls.usage({ scope: 'agent', id: c })).toEqual({ running: 0, callsLastMinute: 0 });
    expect(await calls.usage({ scope: 'provider', id: provider })).toEqual({
      running: 2,
      callsLastMinute: 2,
    });

    await calls.release('j1', subjects(a, provider));
    expect(await calls.usage({ scope: 'agent', id: a })).toEqual({ running: 0, callsLastMinute: 1 });
    expect(await calls.acquire('j3', claim(c, provider, cap), 30_000)).toEqual({ ok: true });
  });

  it("a provider's rate limit refuses for rate, with the wait until its oldest call leaves the window", async () => {
    const provider = newProvider();
    const rate = { maxConcurrent: 0, perMinute: 2 };
    for (const job of ['r1', 'r2']) {
      expect(await calls.acquire(job, claim(newAgent(), provider, rate), 30_000)).toEqual({ ok: true });
    }
    const refused = await calls.acquire('r3', claim(newAgent(), provider, rate), 30_000);
    expect(refused).toMatchObject({ ok: false, scope: 'provider', limit: 'rate' });
    if (refused.ok) throw new Error('unreachable');
    expect(refused.retryInMs).toBeGreaterThan(RATE_WINDOW_MS - 10_000);
  });

  it('the agent is checked first: a full agent is reported as the agent, not the provider', async () => {
    const [agent, provider] = [newAgent(), newProvider()];
    const tight = [
      { scope: 'agent' as const, id: agent, limits: { maxConcurrent: 1, perMinute: 0 } },
      { scope: 'provider' as const, id: provider, limits: { maxConcurrent: 1, perMinute: 0 } },
    ];
    expect(await calls.acquire('t1', tight, 30_000)).toEqual({ ok: true });
    expect(await calls.acquire('t2', tight, 30_000)).toMatchObject({ ok: false, scope: 'agent' });
    // The holder itself may acquire again (a re-run of its job): nothing is counted twice.
    expect(await calls.acquire('t1', tight, 30_000)).toEqual({ ok: true });
    expect(await calls.usage({ scope: 'provider', id: provider })).toEqual({
      running: 1,
      callsLastMinute: 1,
    });
    expect(await calls.extend('t1', subjects(agent, provider), 60_000)).toBe(true);
    await calls.release('t1', subjects(agent, provider));
    expect(await calls.extend('t1', subjects(agent, provider), 60_000)).toBe(false);
  });

  it('two connections racing 30 calls of different agents against a provider cap of 4: exactly 4 win', async () => {
    const provider = newProvider();
    const remote = createCallLimits({ redis: other, keys: redisKeys(prefix) });
    const cap = { maxConcurrent: 4, perMinute: 0 };
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? calls : remote).acquire(`p${i}`, claim(newAgent(), provider, cap), 30_000),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    expect(results.filter((r) => !r.ok && r.scope === 'provider')).toHaveLength(26);
  });
});

describe('BullMQ: a job over its limit waits in delayed, then runs', () => {
  const queueName = `limits-${randomUUID().slice(0, 8)}`;
  const bullPrefix = `${prefix}:bull`;
  let queueConnection: Redis;
  let workerConnection: Redis;
  let queue: Queue;
  let worker: Worker | undefined;

  beforeAll(() => {
    queueConnection = createRedis(REDIS_URL);
    workerConnection = createRedis(REDIS_URL);
    queue = new Queue(queueName, { connection: queueConnection, prefix: bullPrefix });
  });

  afterAll(async () => {
    await worker?.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await Promise.all([queueConnection.quit(), workerConnection.quit()]);
  });

  it('moveToDelayed + DelayedError neither fails the job nor spends an attempt', async () => {
    const agent = newAgent();
    const cap = { maxConcurrent: 1, perMinute: 0 };
    const bullLimits = agentView(
      createCallLimits({ redis: workerConnection, keys: redisKeys(prefix), concurrencyPollMs: 100 }),
    );
    // Another holder has the only slot for a short while: the job has to wait for it.
    expect(await limits.acquire(agent, 'someone-else', cap, 400)).toEqual({ ok: true });

    const runs: { attemptsMade: number; attemptsStarted: number; outcome: string }[] = [];
    const failures: string[] = [];
    let completed: { job: Job; result: unknown } | undefined;
    worker = new Worker(
      queueName,
      async (job, token) => {
        const seen = { attemptsMade: job.attemptsMade, attemptsStarted: job.attemptsStarted };
        const holder = `job:${job.id}`;
        const slot = await bullLimits.acquire(agent, holder, cap, 30_000);
        if (!slot.ok) {
          runs.push({ ...seen, outcome: `waits ${slot.limit} ${slot.retryInMs}ms` });
          await job.moveToDelayed(Date.now() + slot.retryInMs, token);
          throw new DelayedError();
        }
        try {
          runs.push({ ...seen, outcome: 'runs' });
          return 'replied';
        } finally {
          await bullLimits.release(agent, holder);
        }
      },
      { connection: workerConnection, prefix: bullPrefix, concurrency: 1 },
    );
    worker.on('failed', (_job, error) => failures.push(error.message));
    worker.on('completed', (job, result) => {
      completed = { job, result };
    });

    // attempts: 1 — if a delay counted as an attempt, the first one would fail the job for good.
    const added = await queue.add('reply', { agent }, { attempts: 1 });
    const done = await waitFor('the delayed job to complete', () => completed, 10_000);

    expect(done.result).toBe('replied');
    expect(failures).toEqual([]);
    expect(await (await queue.getJob(added.id as string))?.getState()).toBe('completed');
    const waits = runs.filter((r) => r.outcome.startsWith('waits concurrency'));
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(runs.at(-1)?.outcome).toBe('runs');
    // No run saw an attempt spent by the waits before it.
    expect(runs.every((r) => r.attemptsMade === 0)).toBe(true);
    const stored = await queue.getJob(added.id as string);
    expect(stored?.attemptsMade).toBe(1); // the one real attempt, counted on completion
    // attemptsStarted counts every pick-up, waits included.
    expect(stored?.attemptsStarted).toBe(runs.length);
  });
});
