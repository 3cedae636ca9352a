/**
 * Operations endpoints on the service's express app: `GET /metrics` (Prometheus) and Bull Board at
 * `/admin/queues`, both behind ADMIN_TOKEN when it is set.
 *
 * Scripts and Prometheus send `Authorization: Bearer <token>`. A browser logs in once with a POST
 * of the token to `/admin/login` (a small form at GET /admin/login), which sets an HMAC-signed
 * session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS, Path=/admin): the cookie never
 * holds the token, and the token never goes in a URL. Wrong tokens are throttled per client IP.
 *
 * Without ADMIN_TOKEN (only possible on a loopback HOST: see `exposureProblem`) both are open,
 * except Node's process metrics, which /metrics serves only to a request that presented the token.
 */
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Queues } from '../jobs/queues.ts';
import {
  FailureThrottle,
  SESSION_TTL_MS,
  sameSecret,
  sessionKey,
  signSession,
  verifySession,
} from './admin-auth.ts';
import { PROCESS_METRICS_LOCAL } from './metrics.ts';

export const BOARD_PATH = '/admin/queues';
export const LOGIN_PATH = '/admin/login';
/** The session cookie: `<expires>.<nonce>.<hmac>`, never the token. */
export const SESSION_COOKIE = 'ab_admin_session';

export interface OperationsOptions {
  /** When set, both endpoints require it; when unset they are open (HOST must be loopback). */
  adminToken?: string;
  /** Bull Board may change jobs (retry, promote, clean, remove); read-only otherwise. */
  boardWrite?: boolean;
  metricsHandler: RequestHandler;
  /** Without queues there is no board to show: only /metrics is mounted. */
  queues?: Queues;
  /** Clock for sessions and the throttle (tests). */
  now?: () => number;
  /** Overrides of the failed-attempt throttle (tests). */
  throttle?: FailureThrottle;
}

export function mountOperations(app: Express, opts: OperationsOptions): void {
  const guard = opts.adminToken
    ? adminGuard(opts.adminToken, opts.throttle ?? new FailureThrottle(), opts.now ?? Date.now)
    : undefined;
  app.get('/metrics', ...(guard ? [guard.require] : []), opts.metricsHandler);
  if (guard) {
    app.get(LOGIN_PATH, guard.form);
    app.post(LOGIN_PATH, express.urlencoded({ extended: false, limit: '4kb' }), guard.login);
  }

  if (!opts.queues) return;
  const queues = opts.queues;
  const readOnly = opts.boardWrite !== true;
  const handlers = guard ? [guard.require] : [];
  // Bull Board takes ~0.2 s to load: it is built by the first request that passed the guard, and
  // mounted behind this layer (same path, same guard), which then hands the request on to it.
  let mounted: Promise<void> | undefined;
  app.use(BOARD_PATH, ...handlers, (_req, _res, next) => {
    mounted ??= boardRouter(queues, readOnly).then((router) => {
      app.use(BOARD_PATH, ...handlers, router);
    });
    mounted.then(() => next(), next);
  });
}

async function boardRouter(queues: Queues, readOnlyMode: boolean): Promise<RequestHandler> {
  const [{ createBullBoard }, { BullMQAdapter }, { ExpressAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/express'),
  ]);
  const serverAdapter = new ExpressAdapter().setBasePath(BOARD_PATH);
  createBullBoard({
    queues: [queues.replies, queues.deliveries].map((queue) => new BullMQAdapter(queue, { readOnlyMode })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'agent-bridge queues' } },
  });
  return serverAdapter.getRouter() as RequestHandler;
}

function adminGuard(adminToken: string, throttle: FailureThrottle, now: () => number) {
  const key = sessionKey(adminToken);
  const client = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

  /** 429 when this client used up its failures; else undefined (go on). */
  const throttled = (req: Request, res: Response): boolean => {
    const verdict = throttle.check(client(req), now());
    if (verdict.ok) return false;
    res
      .status(429)
      .set('Retry-After', String(verdict.retryAfterSeconds))
      .json({ error: 'too many failed attempts; try again later' });
    return true;
  };

  const require: RequestHandler = (req, res, next) => {
    const header = req.get('authorization');
    if (header !== undefined) {
      // Whoever sends a token is judged on it alone (a script must not pass on a stale cookie).
      if (throttled(req, res)) return;
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (sameSecret(given, adminToken)) {
        res.locals[PROCESS_METRICS_LOCAL] = true;
        return next();
      }
      throttle.fail(client(req), now());
      return refuse(req, res);
    }
    const session = readCookie(req, SESSION_COOKIE);
    if (session && verifySession(key, session, now())) {
      res.locals[PROCESS_METRICS_LOCAL] = true;
      return next();
    }
    refuse(req, res);
  };

  const form: RequestHandler = (_req, res) => {
    noStore(res).type('html').send(loginPage());
  };

  const login: RequestHandler = (req, res) => {
    if (throttled(req, res)) return;
    const given = (req.body as Record<string, unknown> | undefined)?.token;
    if (typeof given !== 'string' || !sameSecret(given, adminToken)) {
      throttle.fail(client(req), now());
      noStore(res).status(401).type('html').send(loginPage('Wrong token.'));
      return;
    }
    noStore(res)
      .cookie(SESSION_COOKIE, signSession(key, now()), {
        httpOnly: true,
        sameSite: 'strict',
        // req.secure follows X-Forwarded-Proto only when TRUST_PROXY trusts the proxy that sent it.
        secure: req.secure,
        path: '/admin',
        maxAge: SESSION_TTL_MS,
      })
      .redirect(303, `${BOARD_PATH}/`);
  };

  return { require, form, login };
}

/** Browsers asking for a page are sent to the login form; everything else gets a 401. */
function refuse(req: Request, res: Response): void {
  if (req.method === 'GET' && req.accepts(['json', 'html']) === 'html' && req.baseUrl === BOARD_PATH) {
    noStore(res).redirect(303, LOGIN_PATH);
    return;
  }
  res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'ADMIN_TOKEN required' });
}

function noStore(res: Response): Response {
  return res.set('Cache-Control', 'no-store').set('Referrer-Policy', 'no-referrer');
}

function readCookie(req: Request, name: string): string | undefined {
  for (const pair of (req.get('cookie') ?? '').split(';')) {
    const [cookieName, ...value] = pair.trim().split('=');
    if (cookieName === name) return value.join('=');
  }
  return undefined;
}

function loginPage(error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>agent-bridge admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 4rem auto">
<h1>agent-bridge admin</h1>
${error ? `<p role="alert" style="color: #b00">${error}</p>` : ''}
<form method="post" action="${LOGIN_PATH}">
<label>ADMIN_TOKEN <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
</form></body></html>
`;
}
