/**
 * A lean fake of the Slack Web API for load: the service makes ~4 calls per message (users.info,
 * setStatus on, chat.postMessage, setStatus off), so the hot path parses one form and answers one
 * small JSON, nothing more. Faithful where the real @slack/web-api looks:
 *   POST /api/<method>, form-encoded (object fields as JSON strings) or JSON, token in
 *   `Authorization: Bearer` (or a `token` field); answers HTTP 200 `{ok:true,…}` / `{ok:false,error}`.
 * It records, per channel, the posts made under an agent's name (chat.postMessage or
 * chat.startStream with `username`) with their arrival time (performance.now() of this thread);
 * typing signals are not replies. chat.update / appendStream / stopStream edit a stored post,
 * chat.delete removes it; conversations.history (newest first) and conversations.replies (oldest
 * first, as Slack orders them) return what is stored, with metadata, honouring oldest / latest /
 * inclusive / limit, so a service can look for its own post after a crash.
 * test/fakes/slack-api.ts is the full-featured fake (scripted answers, every call kept) for tests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TEST_SECRETS } from '../support/test-secrets.ts';
import { nextSlackTs } from './slack-ts.ts';

export interface LeanPost {
  channel: string;
  ts: string;
  text: string;
  /** The agent's name; undefined for a post as the bot itself (notices, help). */
  username: string | undefined;
  threadTs: string | undefined;
  /** `metadata` and `blocks` as posted (or last updated), if any. */
  metadata?: unknown;
  blocks?: unknown;
  /** performance.now() when the post arrived (edits and stream appends keep it). */
  at: number;
  /** How many times it was edited (chat.update, chat.appendStream, chat.stopStream). */
  edits: number;
}

export interface LeanSlackApi {
  /** `http://127.0.0.1:<port>/api/` for SLACK_API_URL. */
  apiUrl: string;
  origin: string;
  token: string;
  bot: { userId: string; botId: string; name: string; teamId: string };
  /** Posts under an agent's name, per channel, in arrival order. */
  readonly agentPosts: ReadonlyMap<string, LeanPost[]>;
  /** Posts as the bot itself (no username): notices such as "no agents here". */
  readonly botPosts: LeanPost[];
  /** Calls per method (every method, typing signals included). */
  readonly calls: ReadonlyMap<string, number>;
  /** Posts removed with chat.delete (no longer counted anywhere else). */
  readonly deleted: LeanPost[];
  /** Calls refused for a wrong or missing token. */
  authFailures: number;
  /** Called on every agent post, after it is recorded (keep it cheap). */
  onAgentPost: ((post: LeanPost) => void) | undefined;
  agentPostCount(channel: string): number;
  /** Every post in `channel` (as an agent or as the bot), in arrival order. */
  postsIn(channel: string): readonly LeanPost[];
  close(): Promise<void>;
}

const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata']);
/** Methods that create a message; their `text` (or `markdown_text`) is the message's text. */
const POSTING = new Set(['chat.postMessage', 'chat.startStream']);

export async function startLeanSlackApi(
  options: { token?: string; teamId?: string; port?: number } = {},
): Promise<LeanSlackApi> {
  const token = options.token ?? TEST_SECRETS.slackLeanBotToken;
  const bot = { userId: 'UBOT', botId: 'BBOT', name: 'agent-bridge', teamId: options.teamId ?? 'T0LEAN' };
  const authHeader = `Bearer ${token}`;
  const agentPosts = new Map<string, LeanPost[]>();
  const botPosts: LeanPost[] = [];
  const deleted: LeanPost[] = [];
  /** Everything posted, per channel, for conversations.history / replies. */
  const history = new Map<string, LeanPost[]>();
  const calls = new Map<string, number>();

  const api: LeanSlackApi = {
    apiUrl: '',
    origin: '',
    token,
    bot,
    agentPosts,
    botPosts,
    deleted,
    calls,
    authFailures: 0,
    onAgentPost: undefined,
    agentPostCount: (channel) => agentPosts.get(channel)?.length ?? 0,
    postsIn: (channel) => history.get(channel) ?? [],
    close: async () => {},
  };

  function find(params: Record<string, unknown>): LeanPost | undefined {
    const ts = String(params.ts ?? '');
    return history.get(String(params.channel ?? ''))?.find((p) => p.ts === ts);
  }

  function messageOf(post: LeanPost): Record<string, unknown> {
    return {
      type: 'message',
      text: post.text,
      ts: post.ts,
      bot_id: bot.botId,
      user: bot.userId,
      ...(post.username && { username: post.username }),
      ...(post.threadTs && { thread_ts: post.threadTs }),
      ...(post.metadata !== undefined && { metadata: post.metadata }),
      ...(post.blocks !== undefined && { blocks: post.blocks }),
      ...(post.edits > 0 && { edited: { user: bot.userId, ts: post.ts } }),
    };
  }

  function post(method: string, params: Record<string, unknown>): Record<string, unknown> {
    const channel = String(params.channel ?? '');
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const ts = nextSlackTs();
    const created: LeanPost = {
      channel,
      ts,
      text: String((method === 'chat.startStream' ? params.markdown_text : params.text) ?? ''),
      username: typeof params.username === 'string' ? params.username : undefined,
      threadTs: typeof params.thread_ts === 'string' ? params.thread_ts : undefined,
      ...(params.metadata !== undefined && { metadata: params.metadata }),
      ...(params.blocks !== undefined && { blocks: params.blocks }),
      at: performance.now(),
      edits: 0,
    };
    push(history, channel, created);
    if (created.username === undefined) botPosts.push(created);
    else {
      push(agentPosts, channel, created);
      api.onAgentPost?.(created);
    }
    return { ok: true, channel, ts, message: messageOf(created) };
  }

  function answer(method: string, params: Record<string, unknown>): Record<string, unknown> {
    if (POSTING.has(method)) return post(method, params);
    switch (method) {
      case 'chat.update':
      case 'chat.appendStream':
      case 'chat.stopStream': {
        const target = find(params);
        if (!target) return { ok: false, error: 'message_not_found' };
        target.edits += 1;
        if (method === 'chat.update') {
          if (params.text !== undefined) target.text = String(params.text);
          if (params.blocks !== undefined) target.blocks = params.blocks;
          if (params.metadata !== undefined) target.metadata = params.metadata;
        } else if (params.markdown_text !== undefined) {
          target.text += String(params.markdown_text);
        }
        return {
          ok: true,
          channel: target.channel,
          ts: target.ts,
          text: target.text,
          message: messageOf(target),
        };
      }
      case 'chat.delete': {
        const target = find(params);
        if (!target) return { ok: false, error: 'message_not_found' };
        for (const list of [history.get(target.channel), agentPosts.get(target.channel), botPosts]) {
          const at = list?.indexOf(target) ?? -1;
          if (list && at >= 0) list.splice(at, 1);
        }
        deleted.push(target);
        return { ok: true, channel: target.channel, ts: target.ts };
      }
      case 'auth.test':
        return {
          ok: true,
          url: 'https://lean-fake.slack.com/',
          team: 'Lean Fake',
          user: bot.name,
          team_id: bot.teamId,
          user_id: bot.userId,
          bot_id: bot.botId,
        };
      case 'users.info': {
        const id = String(params.user ?? '');
        if (!id) return { ok: false, error: 'user_not_found' };
        const name = `user-${id.toLowerCase()}`;
        return {
          ok: true,
          user: {
            id,
            team_id: bot.teamId,
            name,
            real_name: name,
            is_bot: false,
            is_admin: false,
            is_owner: false,
            profile: { display_name: name, real_name: name },
          },
        };
      }
      case 'conversations.history':
      case 'conversations.replies': {
        const all = history.get(String(params.channel ?? '')) ?? [];
        const thread = method === 'conversations.replies' ? String(params.ts ?? '') : undefined;
        const inclusive =
          params.inclusive === true || params.inclusive === 'true' || params.inclusive === '1';
        const oldest = params.oldest === undefined ? undefined : String(params.oldest);
        const latest = params.latest === undefined ? undefined : String(params.latest);
        const limit = Number(params.limit ?? 100) || 100;
        const matching = all
          .filter((p) => thread === undefined || p.ts === thread || p.threadTs === thread)
          .filter(
            (p) => oldest === undefined || compareTs(p.ts, oldest) > 0 || (inclusive && p.ts === oldest),
          )
          .filter(
            (p) => latest === undefined || compareTs(p.ts, latest) < 0 || (inclusive && p.ts === latest),
          )
          .reverse();
        // replies are oldest first in Slack; history newest first.
        const ordered = thread === undefined ? matching : matching.reverse();
        return {
          ok: true,
          messages: ordered.slice(0, limit).map(messageOf),
          has_more: ordered.length > limit,
        };
      }
      default:
        // assistant.threads.setStatus, reactions.add/remove, chat.update, …
        return { ok: true };
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = req.url ?? '';
    // Slash commands' response_url: accepted and ignored.
    if (req.method === 'POST' && url.startsWith('/respond/')) {
      send(res, 200, { ok: true });
      return;
    }
    const method = url.startsWith('/api/') ? url.slice(5).split('?')[0] : undefined;
    if (req.method !== 'POST' || !method) {
      send(res, 404, { ok: false, error: 'unknown_method' });
      return;
    }
    calls.set(method, (calls.get(method) ?? 0) + 1);
    const params = parseBody(raw, req.headers['content-type']);
    if (req.headers.authorization !== authHeader && params.token !== token) {
      api.authFailures += 1;
      send(res, 200, { ok: false, error: req.headers.authorization ? 'invalid_auth' : 'not_authed' });
      return;
    }
    send(res, 200, answer(method, params));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  api.origin = `http://127.0.0.1:${port}`;
  api.apiUrl = `${api.origin}/api/`;
  api.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}

/** Orders Slack timestamps (`seconds.micros`) exactly, without floating point. */
function compareTs(a: string, b: string): number {
  const [as = '0', au = '0'] = a.split('.');
  const [bs = '0', bu = '0'] = b.split('.');
  return Number(as) - Number(bs) || Number(au.padEnd(6, '0')) - Number(bu.padEnd(6, '0'));
}

function push(map: Map<string, LeanPost[]>, channel: string, post: LeanPost): void {
  const list = map.get(channel);
  if (list) list.push(post);
  else map.set(channel, [post]);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json')) {
    try {
      return (JSON.parse(raw) as Record<string, unknown>) ?? {};
    } catch {
      return {};
    }
  }
  const params: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    if (JSON_FIELDS.has(key)) {
      try {
        params[key] = JSON.parse(value);
        continue;
      } catch {
        // kept as text
      }
    }
    params[key] = value;
  }
  return params;
}
