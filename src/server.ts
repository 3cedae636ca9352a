/**
 * The service's one HTTP server: health and readiness now; the Slack endpoint, /metrics and
 * /admin/queues mount onto the same express app.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import { withTimeout } from './infra/redis.ts';
import type { Logger } from './logger.ts';

export type ReadinessCheck = () => Promise<unknown>;

export interface HttpServerOptions {
  /** Named dependencies that must answer for /readyz to be 200, e.g. { database, redis }. */
  readiness: Record<string, ReadinessCheck>;
  logger: Logger;
  /** Bounded so a hung dependency makes /readyz say 503 instead of hanging the probe. */
  readinessTimeoutMs?: number;
}

export interface HttpServer {
  app: Express;
  listen(port: number, host: string): Promise<{ port: number }>;
  close(): Promise<void>;
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const app = express();
  app.disable('x-powered-by');
  const timeoutMs = options.readinessTimeoutMs ?? 2000;

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check(), timeoutMs);
          return [name, 'up'] as const;
        } catch (error) {
          options.logger.warn({ dependency: name, err: error }, 'readiness check failed');
          return [name, 'down'] as const;
        }
      }),
    );
    const down = results.filter(([, state]) => state === 'down').map(([name]) => name);
    res.status(down.length === 0 ? 200 : 503).json({
      status: down.length === 0 ? 'ready' : 'not ready',
      ...(down.length > 0 && { down }),
      checks: Object.fromEntries(results),
    });
  });

  let server: Server | undefined;
  return {
    app,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const s = app.listen(port, host, (error?: Error) => {
          if (error) return reject(error);
          const address = s.address();
          resolve({ port: typeof address === 'object' && address ? address.port : port });
        });
        server = s;
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Guards a route when a token is configured: `Authorization: Bearer <ADMIN_TOKEN>`, or the
 * `ab_admin` cookie a browser gets from `/admin/queues?token=...` (see src/ops/admin.ts).
 */
export function requireAdminToken(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!token) return next();
    const header = req.get('authorization') ?? '';
    const bearer = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    let cookie = '';
    for (const pair of (req.get('cookie') ?? '').split(';')) {
      const [name, ...value] = pair.trim().split('=');
      if (name !== 'ab_admin') continue;
      try {
        cookie = decodeURIComponent(value.join('='));
      } catch {
        cookie = '';
      }
    }
    if (sameSecret(bearer, token) || sameSecret(cookie, token)) return next();
    res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'ADMIN_TOKEN required' });
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
