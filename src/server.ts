/**
 * The service's one HTTP server: health and readiness now; the Slack endpoint, /metrics and
 * /admin/queues mount onto the same express app.
 */
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { withTimeout } from './infra/redis.ts';
import type { Logger } from './logger.ts';

export type ReadinessCheck = () => Promise<unknown>;

export interface HttpServerOptions {
  /** Named dependencies that must answer for /readyz to be 200, e.g. { database, redis }. */
  readiness: Record<string, ReadinessCheck>;
  logger: Logger;
  /** Bounded so a hung dependency makes /readyz say 503 instead of hanging the probe. */
  readinessTimeoutMs?: number;
  /**
   * Express's `trust proxy` (TRUST_PROXY): which proxies' X-Forwarded-For/-Proto to believe, for the
   * client IP the admin login throttles and for whether the session cookie is `Secure` [false].
   */
  trustProxy?: boolean | number | string;
}

export interface HttpServer {
  app: Express;
  listen(port: number, host: string): Promise<{ port: number }>;
  close(): Promise<void>;
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
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
