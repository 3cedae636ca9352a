/**
 * A local fake of the Slack Web API (slack.com/api), answering the way Slack does so the real
 * @slack/web-api (inside Bolt) can be driven against it:
 *   const slack = await startFakeSlackApi();
 *   new App({ ..., clientOptions: { slackApiUrl: slack.apiUrl } })
 * Every call is `POST /api/<method>`, form-encoded (object fields as JSON strings) with
 * `Authorization: Bearer <token>`; answers are `{ok:true,…}` or `{ok:false,error}` (HTTP 200), or
 * 429 + Retry-After when scripted. `POST /respond/<id>` stands in for slash-command response_urls.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { parseJsonOrUndefined, RequestLog, readRawBody, sendJson, startLoopbackServer } from './fake-http.ts';

export interface SlackCall {
  method: string;
  /** Form fields; object fields (blocks, view, metadata, prompts…) parsed from their JSON strings. */
  params: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  token: string | undefined;
  /** What the fake answered (HTTP status and body), once it has. */
  answer?: { status: number; body: Record<string, unknown> };
}

export interface SlackUser {
  id: string;
  name: string;
  displayName?: string;
  isAdmin?: boolean;
  isOwner?: boolean;
}

/** A scripted answer: a Slack error, a rate limit, or any body (ok:true is added). */
export type SlackStep =
  | { error: string }
  | { rateLimited: true; retryAfterSeconds: number }
  | { body: Record<string, unknown> };

export interface FakeSlackApi {
  /** `http://127.0.0.1:<port>/api/` for clientOptions.slackApiUrl / SLACK_API_URL. */
  apiUrl: string;
  origin: string;
  token: string;
  appToken: string;
  bot: { userId: string; botId: string; name: string; teamId: string };
  readonly calls: SlackCall[];
  /** Calls of one method, in order. */
  callsTo(method: string): SlackCall[];
  /** Resolves once `count` calls of `method` arrived. */
  waitForCalls(method: string, count: number, timeoutMs?: number): Promise<SlackCall[]>;
  /** The next answer(s) of `method`, used once each before the defaults. */
  enqueue(method: string, ...steps: SlackStep[]): void;
  /** Every answer of `method` from now on (until reset). */
  setDefault(method: string, step: SlackStep | ((call: SlackCall) => SlackStep)): void;
  addUser(user: SlackUser): void;
  /** A response_url for a slash command; what is posted to it lands in `responses`. */
  responseUrl(id: string): string;
  readonly responses: Array<{ id: string; body: unknown }>;
  waitForResponses(count: number, timeoutMs?: number): Promise<Array<{ id: string; body: unknown }>>;
  /** Answers `apps.connections.open` with this WebSocket URL (Socket Mode). */
  setSocketUrl(url: string): void;
  reset(): void;
  close(): Promise<void>;
}

const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view', 'prompts', 'unfurls']);

export async function startFakeSlackApi(
  options: { token?: string; appToken?: string } = {},
): Promise<FakeSlackApi> {
  const token = options.token ?? 'xoxb-fake-bot-token';
  const appToken = options.appToken ?? 'xapp-fake-app-token';
  const bot = { userId: 'UBOT', botId: 'BBOT', name: 'agent-bridge', teamId: 'T0FAKE' };
  const log = new RequestLog<SlackCall>();
  const responses = new RequestLog<{ id: string; body: unknown }>();
  const queued = new Map<string, SlackStep[]>();
  const defaults = new Map<string, SlackStep | ((call: SlackCall) => SlackStep)>();
  const users = new Map<string, SlackUser>();
  let socketUrl: string | undefined;
  let nextTs = 1_700_000_000;
  let counter = 0;

  const builtIn = (call: SlackCall): SlackStep => {
    switch (call.method) {
      case 'auth.test':
        return {
          body: {
            url: 'https://fake.slack.com/',
            team: 'Fake',
            user: bot.name,
            team_id: bot.teamId,
            user_id: bot.userId,
            bot_id: bot.botId,
          },
        };
      case 'chat.postMessage': {
        const ts = `${nextTs++}.${String(++counter).padStart(6, '0')}`;
        return {
          body: {
            channel: call.params.channel,
            ts,
            message: { text: call.params.text, ts, bot_id: bot.botId, user: bot.userId },
          },
        };
      }
      case 'chat.postEphemeral':
        return { body: { message_ts: `${nextTs++}.000001` } };
      case 'users.info': {
        const user = users.get(String(call.params.user));
        if (!user) return { error: 'user_not_found' };
        return {
          body: {
            user: {
              id: user.id,
              name: user.name,
              real_name: user.displayName ?? user.name,
              is_admin: user.isAdmin ?? false,
              is_owner: user.isOwner ?? false,
              profile: { display_name: user.displayName ?? '', real_name: user.displayName ?? user.name },
            },
          },
        };
      }
      case 'views.open':
        return { body: { view: { id: `V${++counter}`, ...(call.params.view as object) } } };
      case 'apps.connections.open':
        return socketUrl ? { body: { url: socketUrl } } : { error: 'invalid_auth' };
      case 'assistant.threads.setStatus':
      case 'assistant.threads.setSuggestedPrompts':
      case 'assistant.threads.setTitle':
      case 'reactions.add':
      case 'reactions.remove':
      case 'chat.update':
        return { body: {} };
      case 'conversations.replies':
        return { body: { messages: [] } };
      default:
        return { error: 'unknown_method' };
    }
  };

  function stepFor(call: SlackCall): SlackStep {
    const queue = queued.get(call.method);
    const next = queue?.shift();
    if (next) return next;
    const fallback = defaults.get(call.method);
    if (fallback) return typeof fallback === 'function' ? fallback(call) : fallback;
    return builtIn(call);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readRawBody(req);
    const respond = /^\/respond\/([^/]+)$/.exec(url.pathname);
    if (respond?.[1]) {
      responses.push({ id: respond[1], body: parseJsonOrUndefined(raw) });
      return sendJson(res, 200, { ok: true });
    }
    const route = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !route?.[1])
      return sendJson(res, 404, { ok: false, error: 'unknown_method' });
    const call: SlackCall = {
      method: route[1],
      params: parseBody(raw, req.headers['content-type']),
      headers: req.headers,
      token: bearer(req.headers),
    };
    log.push(call);
    const expected = call.method === 'apps.connections.open' ? appToken : token;
    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      call.answer = { status, body };
      sendJson(res, status, body, headers);
    };
    if ((call.token ?? call.params.token) !== expected) {
      return answer(200, { ok: false, error: call.token ? 'invalid_auth' : 'not_authed' });
    }
    const step = stepFor(call);
    if ('rateLimited' in step) {
      return answer(
        429,
        { ok: false, error: 'ratelimited' },
        { 'retry-after': String(step.retryAfterSeconds) },
      );
    }
    if ('error' in step) return answer(200, { ok: false, error: step.error });
    return answer(200, { ok: true, ...step.body });
  }

  const server = await startLoopbackServer(handle);
  return {
    apiUrl: `${server.origin}/api/`,
    origin: server.origin,
    token,
    appToken,
    bot,
    calls: log.items,
    callsTo: (method) => log.items.filter((c) => c.method === method),
    async waitForCalls(method, count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = log.items.filter((c) => c.method === method);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) {
          throw new Error(
            `expected ${count} ${method} call(s) within ${timeoutMs} ms, got ${matching.length}`,
          );
        }
        await log.waitFor(log.items.length + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
      }
    },
    enqueue(method, ...steps) {
      queued.set(method, [...(queued.get(method) ?? []), ...steps]);
    },
    setDefault(method, step) {
      defaults.set(method, step);
    },
    addUser(user) {
      users.set(user.id, user);
    },
    responseUrl: (id) => `${server.origin}/respond/${id}`,
    responses: responses.items,
    waitForResponses: (count, timeoutMs) => responses.waitFor(count, timeoutMs),
    setSocketUrl(url) {
      socketUrl = url;
    },
    reset() {
      log.clear();
      responses.clear();
      queued.clear();
      defaults.clear();
    },
    close: () => server.close(),
  };
}

function bearer(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json'))
    return (parseJsonOrUndefined(raw) as Record<string, unknown>) ?? {};
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parseQuery(raw))) {
    const text = Array.isArray(value) ? value[0] : value;
    params[key] =
      JSON_FIELDS.has(key) && typeof text === 'string' ? (parseJsonOrUndefined(text) ?? text) : text;
  }
  return params;
}
