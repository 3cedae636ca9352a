import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentBridgeEvents, createEventBus, type EventBus } from '../../src/core/events.ts';
import { createRedis } from '../../src/infra/redis.ts';
import { createQueues, type Queues } from '../../src/jobs/queues.ts';
import { LOGIN_PATH, mountOperations, SESSION_COOKIE } from '../../src/ops/admin.ts';
import { FailureThrottle } from '../../src/ops/admin-auth.ts';
import { createMetrics, type Metrics } from '../../src/ops/metrics.ts';
import { createHttpServer, type HttpServer } from '../../src/server.ts';
import { testLogger } from '../support/test-log.ts';
import { TEST_SECRETS } from '../support/test-secrets.ts';

const logger = testLogger();
const TOKEN = TEST_SECRETS.adminToken;

let server: HttpServer | undefined;
let metrics: Metrics | undefined;
let queues: Queues | undefined;
let redis: Redis | undefined;

afterEach(async () => {
  await server?.close();
  metrics?.stop();
  if (queues) {
    await Promise.all([
      queues.replies.obliterate({ force: true }),
      queues.deliveries.obliterate({ force: true }),
    ]);
    await queues.close();
  }
  await redis?.quit();
  server = metrics = queues = redis = undefined;
});

function realQueues(): Queues {
  redis = createRedis('redis://127.0.0.1:6379');
  queues = createQueues(redis, `ab_test_${randomUUID().slice(0, 8)}`);
  return queues;
}

interface Setup {
  adminToken?: string;
  boardWrite?: boolean;
  throttle?: FailureThrottle;
  trustProxy?: boolean;
  now?: () => number;
  queues?: Queues;
  queueTimeoutMs?: number;
  /** Give the queues to the metrics only (Bull Board refuses stand-in queues). */
  metricsOnly?: boolean;
}

async function start(setup: Setup = {}) {
  const listenerErrors: unknown[] = [];
  const bus = createEventBus({ onListenerError: (error) => listenerErrors.push(error) });
  metrics = createMetrics({
    bus,
    ...(setup.queues && { queues: setup.queues }),
    ...(setup.queueTimeoutMs && { queueTimeoutMs: setup.queueTimeoutMs }),
  });
  server = createHttpServer({ logger, readiness: {}, ...(setup.trustProxy && { trustProxy: true }) });
  mountOperations(server.app, {
    ...(setup.adminToken && { adminToken: setup.adminToken }),
    ...(setup.boardWrite && { boardWrite: true }),
    ...(setup.throttle && { throttle: setup.throttle }),
    ...(setup.now && { now: setup.now }),
    metricsHandler: metrics.handler,
    ...(setup.queues && !setup.metricsOnly && { queues: setup.queues }),
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  const scrape = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/metrics`, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  return { bus, base, scrape, listenerErrors };
}

const ref = { platform: 'slack' as const, conversationId: 'c1' };
const job = { ...ref, jobId: 'j1', agentId: 'agent-1' };

function emitTraffic(bus: EventBus<AgentBridgeEvents>) {
  const created = {
    ...ref,
    workspaceId: 'T1',
    authorId: 'U1',
    isBot: false,
    sentAt: new Date(),
    storedAt: new Date(),
  };
  bus.emit('feedback.recorded', { platform: 'slack', vote: 'up', outcome: 'new' });
  bus.emit('feedback.recorded', { platform: 'discord', vote: 'up', outcome: 'changed' });
  bus.emit('message.created', { ...created, messageId: 1 });
  bus.emit('message.created', { ...created, messageId: 2 });
  bus.emit('message.created', { ...created, platform: 'discord', messageId: 3 });
  bus.emit('message.debounced', { ...job, messageId: 2 });
  bus.emit('reply.decided', {
    ...ref,
    messageId: 1,
    reply: true,
    reason: 'direct_message',
    agentId: 'agent-1',
  });
  bus.emit('reply.decided', { ...ref, messageId: 3, reply: false, reason: 'loop_limit' });
  bus.emit('rate.limited', { ...job, scope: 'agent', limit: 'concurrency', retryInMs: 500 });
  bus.emit('platform.notice', { platform: 'slack', kind: 'app_rate_limited' });
  bus.emit('agent.responding', { ...job, triggerMessageId: 2, attempt: 1, startedAt: new Date() });
  bus.emit('job.failed', {
    ...job,
    queue: 'replies',
    attempt: 1,
    maxAttempts: 3,
    final: false,
    reason: 'timeout',
  });
  bus.emit('job.completed', { ...job, replyMessageId: 9, attempts: 2, durationMs: 1800, llmMs: 1500 });
  bus.emit('agent.responded', {
    ...job,
    replyMessageId: 9,
    platformMessageId: '171.0001',
    deliveredAt: new Date(),
    latencyMs: 4200,
  });
  bus.emit('job.failed', {
    ...job,
    jobId: 'j2',
    agentId: 'agent-2',
    queue: 'replies',
    attempt: 3,
    maxAttempts: 3,
    final: true,
    reason: 'quota',
  });
  bus.emit('job.failed', {
    ...job,
    queue: 'deliveries',
    attempt: 5,
    maxAttempts: 5,
    final: true,
    reason: '503',
  });
}

describe('/metrics', () => {
  it('counts what the bus reports, in its own registry; no process metrics without a token', async () => {
    const { bus, scrape, listenerErrors } = await start();
    emitTraffic(bus);
    const text = await scrape();
    for (const line of [
      'agent_bridge_inbound_messages_total{platform="slack"} 2',
      'agent_bridge_inbound_messages_total{platform="discord"} 1',
      'agent_bridge_debounced_messages_total 1',
      'agent_bridge_reply_decisions_total{reason="direct_message"} 1',
      'agent_bridge_reply_decisions_total{reason="loop_limit"} 1',
      'agent_bridge_loops_prevented_total 1',
      'agent_bridge_rate_limited_waits_total{scope="agent",limit="concurrency"} 1',
      'agent_bridge_rate_limited_waits_total{scope="provider",limit="rate"} 0',
      'agent_bridge_platform_notices_total{platform="slack",kind="app_rate_limited"} 1',
      'agent_bridge_feedback_total{vote="up"} 2',
      'agent_bridge_feedback_total{vote="down"} 0',
      'agent_bridge_job_failures_total{queue="replies",final="false"} 1',
      'agent_bridge_job_failures_total{queue="replies",final="true"} 1',
      'agent_bridge_job_failures_total{queue="deliveries",final="true"} 1',
      'agent_bridge_job_failures_total{queue="deliveries",final="false"} 0',
      'agent_bridge_replies_total{agent="agent-1",outcome="delivered"} 1',
      'agent_bridge_replies_total{agent="agent-2",outcome="failed"} 1',
      'agent_bridge_model_call_seconds_bucket{le="1"} 0',
      'agent_bridge_model_call_seconds_bucket{le="2"} 1',
      'agent_bridge_model_call_seconds_sum 1.5',
      'agent_bridge_reply_latency_seconds_bucket{le="3"} 0',
      'agent_bridge_reply_latency_seconds_bucket{le="5"} 1',
      'agent_bridge_reply_latency_seconds_bucket{le="120"} 1',
      'agent_bridge_reply_latency_seconds_sum 4.2',
      'agent_bridge_reply_latency_seconds_count 1',
    ]) {
      expect(text).toContain(`${line}\n`);
    }
    // A final delivery failure is not a second failed reply for the agent.
    expect(text).not.toContain('outcome="failed"} 2');
    // Process details (memory, versions, file descriptors) are for the token holder only.
    expect(text).not.toContain('process_cpu_user_seconds_total');
    expect(text).not.toContain('nodejs_');
    // No queues given: no queue gauge.
    expect(text).not.toContain('agent_bridge_queue_jobs');
    expect(listenerErrors).toEqual([]);
  });

  it('stop() removes the bus listeners; a second instance counts independently', async () => {
    const { bus, scrape } = await start();
    bus.emit('message.created', {
      ...ref,
      messageId: 1,
      workspaceId: 'T1',
      authorId: 'U1',
      isBot: false,
      sentAt: new Date(),
      storedAt: new Date(),
    });
    const other = createMetrics({ bus });
    metrics?.stop();
    for (const event of ['message.created', 'reply.decided', 'job.failed', 'agent.responded'] as const) {
      expect(bus.listenerCount(event)).toBe(1); // only `other`'s
    }
    emitTraffic(bus);
    expect(await scrape()).toContain('agent_bridge_inbound_messages_total{platform="slack"} 1\n');
    expect(await other.registry.metrics()).toContain(
      'agent_bridge_inbound_messages_total{platform="slack"} 2\n',
    );
    other.stop();
    expect(bus.listenerCount('message.created')).toBe(0);
  });

  it('reports queue depth by state from real queues', async () => {
    const q = realQueues();
    const { scrape } = await start({ queues: q });
    let text = await scrape();
    expect(text).toContain('agent_bridge_queue_jobs{queue="replies",state="waiting"} 0\n');
    expect(text).toContain('agent_bridge_queue_up{queue="replies"} 1\n');
    expect(text).toContain('agent_bridge_queue_up{queue="deliveries"} 1\n');

    const target = { platform: 'slack' as const, channelId: 'D1', isDirect: true, workspaceExternalId: 'T1' };
    const data = { conversationId: 'c1', agentId: 'a1', messageId: 1, receivedAt: Date.now(), target };
    await q.replies.add('reply', data);
    await q.replies.add('reply', { ...data, messageId: 2 }, { delay: 60_000 });
    await q.deliveries.add('deliver', { replyId: 7 });
    text = await scrape();
    for (const line of [
      'agent_bridge_queue_jobs{queue="replies",state="waiting"} 1',
      'agent_bridge_queue_jobs{queue="replies",state="delayed"} 1',
      'agent_bridge_queue_jobs{queue="replies",state="active"} 0',
      'agent_bridge_queue_jobs{queue="replies",state="failed"} 0',
      'agent_bridge_queue_jobs{queue="replies",state="completed"} 0',
      'agent_bridge_queue_jobs{queue="deliveries",state="waiting"} 1',
    ]) {
      expect(text).toContain(`${line}\n`);
    }
  });

  it('still answers when a queue does not (Redis down or hung): its series are left out', async () => {
    const hung = { name: 'replies', getJobCounts: () => new Promise(() => {}) };
    const broken = {
      name: 'deliveries',
      getJobCounts: () => Promise.reject(new Error('Connection is closed')),
    };
    const fake = {
      replies: hung,
      deliveries: broken,
      prefix: 'x',
      close: async () => {},
    } as unknown as Queues;
    const { bus, scrape } = await start({ queues: fake, queueTimeoutMs: 200, metricsOnly: true });
    bus.emit('message.debounced', { ...job, messageId: 1 });
    const text = await scrape();
    expect(text).toContain('agent_bridge_debounced_messages_total 1\n');
    expect(text).not.toMatch(/^agent_bridge_queue_jobs\{/m);
    expect(text).toContain('agent_bridge_queue_up{queue="replies"} 0\n');
    expect(text).toContain('agent_bridge_queue_up{queue="deliveries"} 0\n');
  });
});

describe('admin guard', () => {
  const bearer = { authorization: `Bearer ${TOKEN}` };

  async function login(base: string, token: string, headers: Record<string, string> = {}) {
    return fetch(`${base}${LOGIN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ token }),
      redirect: 'manual',
    });
  }
  const cookieOf = (res: Response) => ({ cookie: (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '' });

  async function boardQueues(base: string, headers: Record<string, string>) {
    const api = await fetch(`${base}/admin/queues/api/queues`, { headers });
    expect(api.status).toBe(200);
    return ((await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] }).queues
      .map((q) => [q.name, q.readOnlyMode])
      .sort();
  }

  it('guards /metrics with ADMIN_TOKEN as a Bearer header, and only then shows process metrics', async () => {
    const { base, scrape } = await start({ adminToken: TOKEN, queues: realQueues() });
    const none = await fetch(`${base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.text()).not.toContain('process_');
    expect(
      (await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token' } })).status,
    ).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: TOKEN } })).status).toBe(401);
    const text = await scrape(bearer);
    expect(text).toContain('agent_bridge_queue_jobs{queue="replies",state="waiting"} 0');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_heap_size_used_bytes');
    // /healthz stays open for probes.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('serves a read-only Bull Board with a Bearer header, and refuses without one', async () => {
    const { base } = await start({ adminToken: TOKEN, queues: realQueues() });
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues/api/queues`)).status).toBe(401);

    const page = await fetch(`${base}/admin/queues`, { headers: bearer });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<base href="/admin/queues/"');
    expect(await boardQueues(base, bearer)).toEqual([
      ['deliveries', true],
      ['replies', true],
    ]);
    // A read-only board refuses changes, whoever asks.
    const clean = await fetch(`${base}/admin/queues/api/queues/replies/clean/failed`, {
      method: 'PUT',
      headers: bearer,
    });
    expect(clean.status).toBeGreaterThanOrEqual(400);
  });

  it('ADMIN_BOARD_WRITE=true makes the board writable', async () => {
    const { base } = await start({ adminToken: TOKEN, queues: realQueues(), boardWrite: true });
    expect(await boardQueues(base, bearer)).toEqual([
      ['deliveries', false],
      ['replies', false],
    ]);
  });

  it('a browser is sent to the login form, and a POST of the token sets a signed session cookie that opens the board', async () => {
    const { base } = await start({ adminToken: TOKEN, queues: realQueues() });
    const page = await fetch(`${base}/admin/queues`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(LOGIN_PATH);
    const form = await fetch(`${base}${LOGIN_PATH}`);
    expect(form.status).toBe(200);
    expect(await form.text()).toMatch(
      /<form method="post" action="\/admin\/login">[\s\S]*type="password" name="token"/,
    );

    const ok = await login(base, TOKEN);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/admin/queues/');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const [setCookie] = ok.headers.getSetCookie();
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\/admin(;|$)/);
    expect(setCookie).not.toMatch(/; Secure/);
    // The cookie never holds the token, in any encoding.
    for (const form of [TOKEN, encodeURIComponent(TOKEN), Buffer.from(TOKEN).toString('base64')]) {
      expect(setCookie).not.toContain(form);
    }
    const cookie = cookieOf(ok);

    const board = await fetch(`${base}/admin/queues/`, { headers: cookie });
    expect(board.status).toBe(200);
    const html = await board.text();
    const script = /src="(static\/js\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${base}/admin/queues/${script}`, { headers: cookie })).status).toBe(200);
    expect((await fetch(`${base}/admin/queues/${script}`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: cookie })).status).toBe(200);
    // The session is for the board: /metrics wants the Bearer header or the session, not a forgery.
    expect((await fetch(`${base}/metrics`, { headers: { cookie: `${SESSION_COOKIE}=1.2.3` } })).status).toBe(
      401,
    );
  });

  it('refuses a wrong token, a forged or expired session, and a token in the URL', async () => {
    let clock = Date.now();
    const { base } = await start({ adminToken: TOKEN, queues: realQueues(), now: () => clock });
    const wrong = await login(base, 'not-the-token-but-32-characters-long');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect(await wrong.text()).toContain('Wrong token.');

    // The old ?token= login is gone: the token in a URL opens nothing and sets nothing.
    const viaUrl = await fetch(`${base}/admin/queues?token=${encodeURIComponent(TOKEN)}`, {
      redirect: 'manual',
    });
    expect(viaUrl.status).toBe(401);
    expect(viaUrl.headers.getSetCookie()).toEqual([]);
    // Nor does the raw token as a cookie (the old cookie's format).
    const raw = await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: `ab_admin=${TOKEN}` } });
    expect(raw.status).toBe(401);

    const cookie = cookieOf(await login(base, TOKEN));
    const value = cookie.cookie.slice(SESSION_COOKIE.length + 1);
    const [expires, nonce, sig] = value.split('.');
    const forged = `${SESSION_COOKIE}=${Number(expires) + 3_600_000}.${nonce}.${sig}`;
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: forged } })).status).toBe(
      401,
    );

    clock += 12 * 60 * 60 * 1000 + 1;
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: cookie })).status).toBe(401);
  });

  it('marks the cookie Secure behind a trusted HTTPS proxy', async () => {
    const { base } = await start({ adminToken: TOKEN, queues: realQueues(), trustProxy: true });
    const res = await login(base, TOKEN, { 'x-forwarded-proto': 'https' });
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie()[0]).toMatch(/; Secure/);
  });

  it('throttles failed logins and Bearer attempts per client: 429 with Retry-After, even for the right token', async () => {
    const throttle = new FailureThrottle({ capacity: 3, refillMs: 60_000 });
    const { base } = await start({ adminToken: TOKEN, queues: realQueues(), throttle });
    expect((await login(base, 'wrong-1')).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-2' } })).status).toBe(
      401,
    );
    expect((await login(base, 'wrong-3')).status).toBe(401);

    const blocked = await login(base, TOKEN);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.headers.getSetCookie()).toEqual([]);
    const scrape = await fetch(`${base}/metrics`, { headers: bearer });
    expect(scrape.status).toBe(429);
    expect(scrape.headers.get('retry-after')).toBeTruthy();
  });

  it('without ADMIN_TOKEN the board and the app metrics are open (loopback only), the board read-only', async () => {
    const { base, scrape } = await start({ queues: realQueues() });
    const text = await scrape();
    expect(text).toContain('agent_bridge_inbound_messages_total');
    expect(text).not.toContain('process_cpu_user_seconds_total');
    const page = await fetch(`${base}/admin/queues`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('agent-bridge queues');
    expect(await boardQueues(base, {})).toEqual([
      ['deliveries', true],
      ['replies', true],
    ]);
  });
});
