/**
 * A lean fake of the Slack Web API for load: the service makes ~4 calls per message (users.info,
 * setStatus on, chat.postMessage, setStatus off), so the hot path parses one form and answers one
 * small JSON, nothing more. Faithful where the real @slack/web-api looks:
 *   POST /api/<method>, form-encoded (object fields as JSON strings) or JSON, token in
 *   `Authorization: Bearer` (or a `token` field); answers HTTP 200 `{ok:true,…}` / `{ok:false,error}`.
 * It records, per channel, the posts made under an agent's name (chat.postMessage with `username`)
 * with their arrival time (performance.now() of this thread); typing signals are not replies.
 * test/fakes/slack-api.ts is the full-featured fake (scripted answers, every call kept) for tests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LeanPost {
  channel: string;
  ts: string;
  text: string;
  /** The agent's name; undefined for a post as the bot itself (notices, help). */
  username: string | undefined;
  threadTs: string | undefined;
  /** performance.now() when the post arrived. */
  at: number;
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
const TS_BASE = 1_700_000_000;

export async function startLeanSlackApi(
  options: { token?: string; teamId?: string; port?: number } = {},
): Promise<LeanSlackApi> {
  const token = options.token ?? 'xoxb-lean-fake-token';
  const bot = { userId: 'UBOT', botId: 'BBOT', name: 'agent-bridge', teamId: options.teamId ?? 'T0LEAN' };
  const authHeader = `Bearer ${token}`;
  const agentPosts = new Map<string, LeanPost[]>();
  const botPosts: LeanPost[] = [];
  /** Everything posted, per channel, for conversations.history / replies. */
  const history = new Map<string, LeanPost[]>();
  const calls = new Map<string, number>();
  let counter = 0;

  const api: LeanSlackApi = {
    apiUrl: '',
    origin: '',
    token,
    bot,
    agentPosts,
    botPosts,
    calls,
    authFailures: 0,
    onAgentPost: undefined,
    agentPostCount: (channel) => agentPosts.get(channel)?.length ?? 0,
    postsIn: (channel) => history.get(channel) ?? [],
    close: async () => {},
  };

  function answer(method: string, params: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'chat.postMessage': {
        const channel = String(params.channel ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        counter += 1;
        const ts = `${TS_BASE + Math.floor(counter / 1_000_000)}.${String(counter % 1_000_000).padStart(6, '0')}`;
        const post: LeanPost = {
          channel,
          ts,
          text: String(params.text ?? ''),
          username: typeof params.username === 'string' ? params.username : undefined,
          threadTs: typeof params.thread_ts === 'string' ? params.thread_ts : undefined,
          at: performance.now(),
        };
        push(history, channel, post);
        if (post.username === undefined) botPosts.push(post);
        else {
          push(agentPosts, channel, post);
          api.onAgentPost?.(post);
        }
        return {
          ok: true,
          channel,
          ts,
          message: {
            type: 'message',
            text: post.text,
            ts,
            bot_id: bot.botId,
            user: bot.userId,
            ...(post.username && { username: post.username }),
            ...(post.threadTs && { thread_ts: post.threadTs }),
          },
        };
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
        const messages = all
          .filter((p) => thread === undefined || p.ts === thread || p.threadTs === thread)
          .reverse()
          .map((p) => ({
            type: 'message',
            text: p.text,
            ts: p.ts,
            bot_id: bot.botId,
            ...(p.username && { username: p.username }),
            ...(p.threadTs && { thread_ts: p.threadTs }),
          }));
        return { ok: true, messages, has_more: false };
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
