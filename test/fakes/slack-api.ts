/**
 * A local fake of the Slack Web API (slack.com/api), answering the way Slack does so the real
 * @slack/web-api (inside Bolt) can be driven against it:
 *   const slack = await startFakeSlackApi();
 *   new App({ ..., clientOptions: { slackApiUrl: slack.apiUrl } })
 * Every call is `POST /api/<method>`, form-encoded (object fields as JSON strings) with
 * `Authorization: Bearer <token>`; answers are `{ok:true,…}` or `{ok:false,error}` (HTTP 200).
 * chat.postMessage stores the message (see slack-messages.ts): conversations.history / .replies
 * serve it back, and `messages()` shows what a person would see in the channel or thread.
 * Scripted failures, the way Slack (or the network) fails: 429 + Retry-After, HTTP 5xx, a request
 * never answered, a post that is stored but whose answer is lost, and raw answers.
 * `POST /respond/<id>` stands in for slash-command response_urls; `POST /upload/<file id>` for the
 * upload URLs of files.getUploadURLExternal.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import {
  hangUp,
  parseJsonOrUndefined,
  RequestLog,
  readRawBody,
  readRawBytes,
  sendJson,
  startLoopbackServer,
} from './fake-http.ts';
import { SlackFileHost } from './slack-files.ts';
import { SlackMessageStore, type StoredSlackMessage } from './slack-messages.ts';
import { streamCall } from './slack-stream.ts';

export type { StoredSlackMessage } from './slack-messages.ts';

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

/**
 * A scripted answer: a Slack error, a rate limit, any body (ok:true is added), or a failure.
 * `applied`: the call takes effect before the failure (a post is stored and visible in history).
 */
export type SlackStep =
  /** Answers as usual: a placeholder in a script (`enqueue(m, { pass: true }, { lostResponse: true })`). */
  | { pass: true }
  | { error: string }
  | { rateLimited: true; retryAfterSeconds: number }
  | { body: Record<string, unknown> }
  /** HTTP 500/502/503/504 with a JSON `{ok:false,error}` body (`internal_error` / `service_unavailable`). */
  | { serverError: 500 | 502 | 503 | 504; applied?: boolean }
  /** No answer at all: the request waits until the client gives up (or the fake closes). */
  | { hang: true; applied?: boolean }
  /** The call takes effect, then the connection is destroyed before any answer goes out. */
  | { lostResponse: true }
  /** Exactly this HTTP answer (a gzip file, a proxy's HTML error page, …). */
  | { raw: { status: number; headers?: Record<string, string>; body: string | Buffer } };

/** A step as answered: `pass` resolved to the usual answer. */
type Answer = Exclude<SlackStep, { pass: true }>;

/** What reached an upload URL (files.uploadV2's second step). */
export interface SlackUpload {
  fileId: string;
  contentType: string | undefined;
  body: Buffer;
}

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
  /**
   * What a person sees, oldest first: the channel's top-level messages, or the replies of one
   * thread. Every message chat.postMessage stored is here, including those whose answer was lost.
   */
  messages(channel: string, thread?: string): StoredSlackMessage[];
  /** Every stored message, in any channel or thread. */
  allMessages(): StoredSlackMessage[];
  /** Puts a message in the workspace (a person's message, another app's post); `ts` defaults to now. */
  addMessage(message: Omit<StoredSlackMessage, 'ts'> & { ts?: string }): StoredSlackMessage;
  /** Bodies posted to upload URLs. */
  readonly uploads: SlackUpload[];
  /** files.slack.com: `files.add(…)` hosts a file and returns its files[] entry for an event. */
  readonly files: SlackFileHost;
  /** Forgets calls, scripts, responses, uploads and messages. */
  reset(): void;
  close(): Promise<void>;
}

const JSON_FIELDS = new Set([
  'blocks',
  'attachments',
  'metadata',
  'view',
  'prompts',
  'unfurls',
  'loading_messages',
]);

/** Block limits Slack enforces on a message: 50 blocks, 12,000 characters of markdown blocks, one table of 100 × 20. */
function blocksRefusal(blocks: Array<Record<string, unknown>>): string | undefined {
  if (blocks.length > 50) return 'invalid_blocks';
  let markdown = 0;
  let tables = 0;
  for (const block of blocks) {
    switch (block.type) {
      case 'markdown':
        if (typeof block.text !== 'string' || block.text === '') return 'invalid_blocks';
        markdown += block.text.length;
        break;
      case 'table': {
        tables += 1;
        const rows = block.rows;
        if (!Array.isArray(rows) || rows.length === 0 || rows.length > 100) return 'invalid_blocks';
        if (rows.some((row) => !Array.isArray(row) || row.length === 0 || row.length > 20))
          return 'invalid_blocks';
        break;
      }
      case 'context_actions': {
        const elements = block.elements;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 5) return 'invalid_blocks';
        break;
      }
      case 'section':
      case 'header':
      case 'context':
      case 'divider':
      case 'actions':
      case 'rich_text':
      case 'image':
        break;
      default:
        return 'invalid_blocks';
    }
  }
  if (markdown > 12_000) return 'msg_blocks_too_long';
  // One table per message (the error Slack names for it is not documented: invalid_blocks here).
  if (tables > 1) return 'invalid_blocks';
  return undefined;
}

export async function startFakeSlackApi(
  options: { token?: string; appToken?: string } = {},
): Promise<FakeSlackApi> {
  const token = options.token ?? TEST_SECRETS.slackBotToken;
  const appToken = options.appToken ?? TEST_SECRETS.slackAppToken;
  const bot = { userId: 'UBOT', botId: 'BBOT', name: 'agent-bridge', teamId: 'T0FAKE' };
  const log = new RequestLog<SlackCall>();
  const responses = new RequestLog<{ id: string; body: unknown }>();
  const queued = new Map<string, SlackStep[]>();
  const defaults = new Map<string, SlackStep | ((call: SlackCall) => SlackStep)>();
  const users = new Map<string, SlackUser>();
  const store = new SlackMessageStore();
  const uploads: SlackUpload[] = [];
  const files = new SlackFileHost(() => origin, bot.teamId, token);
  let socketUrl: string | undefined;
  let counter = 0;
  let origin = '';

  const builtIn = (call: SlackCall): Answer => {
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
        const channel = text(call.params.channel);
        if (!channel) return { error: 'channel_not_found' };
        const blocks = call.params.blocks;
        if (blocks !== undefined && !Array.isArray(blocks)) return { error: 'invalid_blocks_format' };
        const refusal = blocks ? blocksRefusal(blocks as Array<Record<string, unknown>>) : undefined;
        if (refusal) return { error: refusal };
        const stored = store.add({
          channel,
          text: text(call.params.text),
          user: bot.userId,
          bot_id: bot.botId,
          ...(call.params.thread_ts !== undefined && { thread_ts: text(call.params.thread_ts) }),
          ...(call.params.username !== undefined && { username: text(call.params.username) }),
          ...(call.params.icon_url !== undefined && { icon_url: text(call.params.icon_url) }),
          ...(isMetadata(call.params.metadata) && { metadata: call.params.metadata }),
          ...(Array.isArray(blocks) && { blocks: blocks as Array<Record<string, unknown>> }),
        });
        return {
          body: {
            channel,
            ts: stored.ts,
            message: {
              type: 'message',
              text: stored.text,
              ts: stored.ts,
              bot_id: bot.botId,
              user: bot.userId,
              ...(stored.thread_ts && { thread_ts: stored.thread_ts }),
              ...(stored.username && { username: stored.username }),
              ...(stored.metadata && { metadata: stored.metadata }),
            },
          },
        };
      }
      case 'chat.update': {
        const found = store.find(text(call.params.channel), text(call.params.ts));
        if (!found) return { error: 'message_not_found' };
        if (found.streaming) return { error: 'streaming_state_conflict' };
        if (call.params.text !== undefined) found.text = text(call.params.text);
        if (isMetadata(call.params.metadata)) found.metadata = call.params.metadata;
        return { body: { channel: found.channel, ts: found.ts, text: found.text } };
      }
      case 'chat.startStream':
      case 'chat.appendStream':
      case 'chat.stopStream':
        return streamCall(call, store, bot);
      case 'chat.delete':
        return store.remove(text(call.params.channel), text(call.params.ts))
          ? { body: { channel: call.params.channel, ts: call.params.ts } }
          : { error: 'message_not_found' };
      case 'conversations.history':
        return store.history(call.params);
      case 'conversations.replies':
        return store.replies(call.params);
      case 'files.getUploadURLExternal': {
        const fileId = `F${String(++counter).padStart(6, '0')}`;
        return { body: { upload_url: `${origin}/upload/${fileId}`, file_id: fileId } };
      }
      case 'files.completeUploadExternal': {
        const files = parseJsonOrUndefined(text(call.params.files));
        return { body: { files: Array.isArray(files) ? files : [] } };
      }
      case 'chat.postEphemeral':
        return { body: { message_ts: store.nextTs() } };
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
      case 'assistant.threads.setStatus': {
        if (!call.params.channel_id) return { error: 'channel_not_found' };
        if (!call.params.thread_ts) return { error: 'invalid_thread_ts' };
        const loading = call.params.loading_messages;
        // Slack takes at most 10 loading messages.
        if (loading !== undefined && (!Array.isArray(loading) || loading.length > 10)) {
          return { error: 'invalid_arguments' };
        }
        return { body: {} };
      }
      case 'assistant.threads.setSuggestedPrompts': {
        if (!call.params.channel_id) return { error: 'channel_not_found' };
        const prompts = call.params.prompts;
        // Up to four prompts, each with a title and a message.
        if (!Array.isArray(prompts) || prompts.length === 0 || prompts.length > 4) {
          return { error: 'invalid_arguments' };
        }
        return { body: {} };
      }
      case 'assistant.threads.setTitle':
        if (!call.params.channel_id) return { error: 'channel_not_found' };
        if (!call.params.thread_ts) return { error: 'invalid_thread_ts' };
        return { body: {} };
      case 'reactions.add':
      case 'reactions.remove':
        return { body: {} };
      default:
        return { error: 'unknown_method' };
    }
  };

  function stepFor(call: SlackCall): Answer {
    const queue = queued.get(call.method);
    const next = queue?.shift();
    if (next) return 'pass' in next ? builtIn(call) : next;
    const fallback = defaults.get(call.method);
    if (fallback) {
      const step = typeof fallback === 'function' ? fallback(call) : fallback;
      return 'pass' in step ? builtIn(call) : step;
    }
    return builtIn(call);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (files.handle(req, res, url.pathname)) return;
    const upload = /^\/upload\/([^/]+)$/.exec(url.pathname);
    if (upload?.[1]) {
      uploads.push({
        fileId: upload[1],
        contentType: req.headers['content-type'],
        body: await readRawBytes(req),
      });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`OK - ${uploads.at(-1)?.body.length ?? 0}`);
      return;
    }
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
    if ('lostResponse' in step) {
      builtIn(call);
      return hangUp(res);
    }
    if ('hang' in step) {
      if (step.applied) builtIn(call);
      return; // never answered; the client's timeout (or close()) ends it
    }
    if ('serverError' in step) {
      if (step.applied) builtIn(call);
      const error = step.serverError === 500 ? 'internal_error' : 'service_unavailable';
      return answer(step.serverError, { ok: false, error });
    }
    if ('raw' in step) {
      call.answer = { status: step.raw.status, body: {} };
      res.writeHead(step.raw.status, step.raw.headers ?? {});
      res.end(step.raw.body);
      return;
    }
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
  origin = server.origin;
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
    messages: (channel, thread) => store.visible(channel, thread),
    allMessages: () => store.all(),
    addMessage: (message) => store.add(message),
    uploads,
    files,
    reset() {
      files.reset();
      log.clear();
      responses.clear();
      queued.clear();
      defaults.clear();
      store.clear();
      uploads.length = 0;
    },
    close: () => server.close(),
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function isMetadata(value: unknown): value is StoredSlackMessage['metadata'] & object {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { event_type?: unknown }).event_type === 'string' &&
    typeof (value as { event_payload?: unknown }).event_payload === 'object'
  );
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
