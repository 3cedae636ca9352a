import { afterEach, describe, expect, it } from 'vitest';
import { pingRedis } from '../../src/infra/redis.ts';
import { createHttpServer, type HttpServer } from '../../src/server.ts';
import { testLogger } from '../support/test-log.ts';

const logger = testLogger();
let server: HttpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(readiness: Parameters<typeof createHttpServer>[0]['readiness']) {
  server = createHttpServer({ logger, readiness, readinessTimeoutMs: 300 });
  const { port } = await server.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${port}`;
}

describe('health endpoints', () => {
  it('/healthz answers 200 while the process is up, even with every dependency down', async () => {
    const base = await serve({ redis: () => Promise.reject(new Error('down')) });
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when the database and Redis answer', async () => {
    const base = await serve({
      database: () => Promise.resolve(),
      redis: async () => {
        const result = await pingRedis('redis://127.0.0.1:6379', 1000);
        if (!result.ok) throw new Error(result.reason);
      },
    });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', checks: { database: 'up', redis: 'up' } });
  });

  it.each([
    ['redis', { database: 'up', redis: 'down' }],
    ['database', { database: 'down', redis: 'up' }],
  ])('/readyz answers 503 naming %s when it is down', async (name, checks) => {
    const refuse = async () => {
      const result = await pingRedis('redis://127.0.0.1:1', 300);
      if (!result.ok) throw new Error(result.reason);
    };
    const base = await serve({
      database: name === 'database' ? refuse : () => Promise.resolve(),
      redis: name === 'redis' ? refuse : () => Promise.resolve(),
    });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', down: [name], checks });
  });

  it('/readyz answers 503 instead of hanging when a dependency never answers', async () => {
    const base = await serve({ database: () => new Promise(() => {}), redis: () => Promise.resolve() });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { down: string[] }).down).toEqual(['database']);
  });
});
