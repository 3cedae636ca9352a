/**
 * Operations endpoints on the service's express app: `GET /metrics` (Prometheus) and Bull Board at
 * `/admin/queues`, both behind ADMIN_TOKEN when it is set.
 *
 * Prometheus sends `Authorization: Bearer <token>`. A browser cannot add that header to the board's
 * page, its static assets and its API calls, so visiting `/admin/queues?token=<token>` once sets an
 * HttpOnly, SameSite=Strict `ab_admin` cookie (scoped to /admin/queues) and redirects to the same
 * page without the token; `requireAdminToken` accepts either.
 */
import type { Express, RequestHandler } from 'express';
import type { Queues } from '../jobs/queues.ts';
import { requireAdminToken } from '../server.ts';

export const BOARD_PATH = '/admin/queues';
/** The cookie name `requireAdminToken` reads. */
export const ADMIN_COOKIE = 'ab_admin';
const COOKIE_MAX_AGE_MS = 12 * 60 * 60 * 1000;

export interface OperationsOptions {
  /** When set, both endpoints require it; when unset they are open (bind HOST to localhost). */
  adminToken?: string;
  metricsHandler: RequestHandler;
  /** Without queues there is no board to show: only /metrics is mounted. */
  queues?: Queues;
}

export function mountOperations(app: Express, opts: OperationsOptions): void {
  const guard = requireAdminToken(opts.adminToken);
  app.get('/metrics', guard, opts.metricsHandler);

  if (!opts.queues) return;
  const queues = opts.queues;
  const handlers = opts.adminToken ? [tokenLogin(opts.adminToken), guard] : [];
  // Bull Board takes ~0.2 s to load: it is built by the first request that passed the guard, and
  // mounted behind this layer (same path, same guard), which then hands the request on to it.
  let mounted: Promise<void> | undefined;
  app.use(BOARD_PATH, ...handlers, (_req, _res, next) => {
    mounted ??= boardRouter(queues).then((router) => {
      app.use(BOARD_PATH, ...handlers, router);
    });
    mounted.then(() => next(), next);
  });
}

async function boardRouter(queues: Queues): Promise<RequestHandler> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/express'),
  ]);
  const serverAdapter = new ExpressAdapter().setBasePath(BOARD_PATH);
  createBullBoard({
    queues: [queues.replies, queues.deliveries].map(
      (queue) => new BullMQAdapter(queue, { readOnlyMode: false }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'agent-bridge queues' } },
  });
  return serverAdapter.getRouter() as RequestHandler;
}

/**
 * `GET …?token=<token>`: a right token sets the cookie and redirects to the same URL without it; a
 * wrong one is a 401. Requests without `token` pass through to the guard.
 */
function tokenLogin(adminToken: string): RequestHandler {
  const check = requireAdminToken(adminToken);
  return (req, res, next) => {
    const given = req.query.token;
    if (req.method !== 'GET' || typeof given !== 'string') return next();
    // Checked exactly as a Bearer header would be: one timing-safe comparison, in one place.
    req.headers.authorization = `Bearer ${given}`;
    check(req, res, () => {
      const target = new URL(req.originalUrl, 'http://localhost');
      target.searchParams.delete('token');
      res
        .cookie(ADMIN_COOKIE, given, {
          httpOnly: true,
          sameSite: 'strict',
          secure: req.secure,
          path: BOARD_PATH,
          maxAge: COOKIE_MAX_AGE_MS,
        })
        .set('Cache-Control', 'no-store')
        .set('Referrer-Policy', 'no-referrer')
        .redirect(303, `${target.pathname}${target.search}`);
    });
  };
}
