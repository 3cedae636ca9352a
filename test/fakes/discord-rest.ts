/**
 * A local Discord REST API (`/api/v10/...`) with the state the adapter touches: messages (echoed
 * to the gateway as MESSAGE_CREATE, like Discord; `enforce_nonce` honoured within a window; listed
 * newest first with `after`/`before`/`limit`), message edits (the bot's own, PATCH
 * /channels/:id/messages/:id; a webhook's, PATCH /webhooks/:id/:token/messages/:id with `thread_id`
 * for a thread; echoed as MESSAGE_UPDATE), typing, channel webhooks (create, list, execute with
 * `?wait=true&thread_id=`), guild members (one at a time, as a bot without the Server Members
 * intent asks), commands, interaction callbacks and `@original` edits.
 *
 * It fails like Discord: every answer carries `X-RateLimit-*` headers of its route's bucket (message
 * edits have Discord's tighter one, `editRateLimit`), and a client that ignores them gets a 429; any request can be answered once by a scripted failure (a
 * 429 with `Retry-After` and `{message, retry_after, global}`, a 5xx, 403 Missing Permissions…),
 * either instead of the work or after it (the message is stored, the client hears an error), or
 * the work is done and the answer lost (the socket is destroyed). Every request is logged.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DISCORD_WEBHOOK_TOKEN_PREFIX } from '../support/test-secrets.ts';
import {
  ChannelKind,
  channelPayload,
  type FakeChannel,
  type FakeGuild,
  type FakeUser,
  type Json,
  memberPayload,
  messagePayload,
  snowflake,
  userPayload,
} from './discord-payloads.ts';
import { hangUp, parseJsonOrUndefined, RequestLog, readRawBody, sendJson } from './fake-http.ts';

export interface DiscordRequest {
  method: string;
  /** Without `/api/v10`, e.g. `/channels/123/messages`. */
  path: string;
  query: Record<string, string>;
  body: Json | undefined;
  authorization: string | undefined;
  /** When it arrived (ms since epoch). */
  at: number;
}

export interface FailStep {
  status: number;
  body: Json;
  headers?: Record<string, string>;
  /** Do the work first, then answer with the failure (a response lost on the way back). */
  afterHandling?: boolean;
  /** No answer at all: the socket is destroyed (after the work when `afterHandling`). */
  hangUp?: boolean;
}

export interface FakeWebhook {
  id: string;
  token: string;
  channelId: string;
  guildId: string;
  name: string;
  creator: FakeUser;
}

export interface RestWorld {
  token: string;
  bot: FakeUser;
  applicationId: string;
  gatewayUrl(): string;
  channel(id: string): FakeChannel | undefined;
  guild(id: string): FakeGuild | undefined;
  /** The bot leaves a guild (DELETE /users/@me/guilds/:id); false when it is in no such guild. */
  leaveGuild(id: string): boolean;
  /** Discord sends every created message to the gateway too. */
  echo(message: Json): void;
  /** And every edit (MESSAGE_UPDATE). */
  echoEdit(message: Json): void;
}

/** Discord answers a repeated enforced nonce with the first message for "a few minutes". */
const NONCE_WINDOW_MS = 5 * 60_000;
export const MISSING_PERMISSIONS: FailStep = {
  status: 403,
  body: { message: 'Missing Permissions', code: 50013 },
};

/**
 * A 429 as Discord sends it. `Retry-After` is in seconds (Discord rounds it up to whole seconds;
 * fractions keep the tests fast and discord.js reads both). `global`: the bot's global limit
 * (`X-RateLimit-Global`), else the route's bucket (`scope` user, or shared for a resource's limit).
 */
export function rateLimited(
  retryAfterSeconds = 0.05,
  options: { global?: boolean; scope?: 'user' | 'shared' | 'global' } = {},
): FailStep {
  const global = options.global ?? false;
  const scope = options.scope ?? (global ? 'global' : 'user');
  return {
    status: 429,
    body: { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global },
    headers: {
      'retry-after': String(retryAfterSeconds),
      'x-ratelimit-scope': scope,
      ...(global && { 'x-ratelimit-global': 'true' }),
    },
  };
}

/** A 5xx (Cloudflare or Discord having a bad moment); `afterHandling`: the work was done anyway. */
export function serverError(status = 502, afterHandling = false): FailStep {
  return { status, body: { message: `${status}: Server Error`, code: 0 }, afterHandling };
}

/** The request is carried out (a message stored and echoed) but its answer never arrives. */
export function lostResponse(): FailStep {
  return { status: 0, body: {}, afterHandling: true, hangUp: true };
}

export interface RateLimitOptions {
  /** Requests per bucket and window [50]. */
  limit: number;
  /** Window length [1000 ms]. */
  windowMs: number;
}

interface Bucket {
  hash: string;
  limit: number;
  remaining: number;
  resetAt: number;
}

export class FakeDiscordRest {
  readonly requests = new RequestLog<DiscordRequest>();
  readonly messages = new Map<string, Json>();
  readonly webhooks = new Map<string, FakeWebhook>();
  readonly registrations: Array<{ path: string; body: Json[] }> = [];
  readonly interactionCallbacks: Array<{ interactionId: string; token: string; body: Json }> = [];
  readonly originalEdits: Array<{ token: string; body: Json }> = [];
  /** Channels where the bot lacks Manage Webhooks. */
  readonly webhooksDenied = new Set<string>();
  /** How long a repeated enforced nonce returns the first message (set 0: the window has passed). */
  nonceWindowMs = NONCE_WINDOW_MS;
  /** The per-route limits every answer reports in its X-RateLimit-* headers, and enforces. */
  readonly rateLimit: RateLimitOptions = { limit: 50, windowMs: 1_000 };
  /** Message edits: Discord allows about 5 per 5 s per channel (or webhook). */
  readonly editRateLimit: RateLimitOptions = { limit: 5, windowMs: 5_000 };
  /** 429s the fake sent on its own because a client ignored the headers. */
  unscripted429s = 0;
  private readonly failures: Array<{ match: (r: DiscordRequest) => boolean; step: FailStep }> = [];
  private readonly nonces = new Map<string, { message: Json; at: number }>();
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly world: RestWorld) {}

  /** The next request matching `match` gets `step` instead of its answer. */
  failNext(match: (request: DiscordRequest) => boolean, step: FailStep): void {
    this.failures.push({ match, step });
  }

  addWebhook(channel: FakeChannel, creator: FakeUser, name = 'agent-bridge'): FakeWebhook {
    const webhook = {
      id: snowflake(),
      token: `${DISCORD_WEBHOOK_TOKEN_PREFIX}${snowflake()}`,
      channelId: channel.id,
      guildId: channel.guildId ?? '',
      name,
      creator,
    };
    this.webhooks.set(webhook.id, webhook);
    return webhook;
  }

  /** What a channel (or thread) shows, oldest first. */
  channelMessages(channelId: string): Json[] {
    return [...this.messages.values()]
      .filter((m) => m.channel_id === channelId)
      .sort((a, b) => compareIds(String(a.id), String(b.id)));
  }

  /** Message edits (bot and webhook) that were carried out, in order. */
  edits(): DiscordRequest[] {
    return this.requests.items.filter((r) => isMessageEdit(r));
  }

  /** Message posts (bot and webhook), in order. */
  posts(): DiscordRequest[] {
    return this.requests.items.filter(
      (r) => r.method === 'POST' && (/^\/channels\/\d+\/messages$/.test(r.path) || isWebhookExecute(r)),
    );
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readRawBody(req);
    const request: DiscordRequest = {
      method: req.method ?? 'GET',
      path: url.pathname.replace(/^\/api\/v10/, '').replace('%40original', '@original'),
      query: Object.fromEntries(url.searchParams),
      body: parseJsonOrUndefined(raw) as Json | undefined,
      authorization: req.headers.authorization,
      at: Date.now(),
    };
    this.requests.push(request);
    const failure = this.failures.findIndex((f) => f.match(request));
    const step = failure >= 0 ? this.failures.splice(failure, 1)[0]?.step : undefined;
    const bucket = this.bucketFor(request);
    if (step && !step.afterHandling) return this.fail(res, step, bucket);
    if (bucket.remaining <= 0 && !step) {
      // A client that ignored X-RateLimit-Remaining: 0.
      this.unscripted429s += 1;
      const retryAfter = (bucket.resetAt - Date.now()) / 1000;
      return this.fail(res, rateLimited(Number(retryAfter.toFixed(3))), bucket);
    }
    bucket.remaining -= 1;
    const needsBot =
      !request.path.startsWith('/interactions/') && !/^\/webhooks\/\d+\/[^/]+/.test(request.path);
    if (needsBot && request.authorization !== `Bot ${this.world.token}`) {
      return sendJson(res, 401, { message: '401: Unauthorized', code: 0 }, this.limitHeaders(bucket));
    }
    const answer = this.route(request);
    if (step) return this.fail(res, step, bucket);
    const headers = this.limitHeaders(bucket);
    if (answer === undefined) return sendJson(res, 404, { message: '404: Not Found', code: 0 }, headers);
    if (answer === null) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    return sendJson(res, answer.status, answer.body, headers);
  }

  private fail(res: ServerResponse, step: FailStep, bucket: Bucket): void {
    if (step.hangUp) {
      hangUp(res);
      return;
    }
    // A 429 of the route's own bucket empties it until the retry (not a global or shared limit).
    const scope = step.headers?.['x-ratelimit-scope'];
    const limited = step.status === 429 && step.body.global !== true && scope !== 'shared';
    if (limited) {
      const retryAfter = Number(step.body.retry_after ?? 0) * 1000;
      bucket.remaining = 0;
      bucket.resetAt = Math.max(bucket.resetAt, Date.now() + retryAfter);
    }
    const headers = { ...this.limitHeaders(bucket, limited ? 0 : undefined), ...step.headers };
    sendJson(res, step.status, step.body, headers);
  }

  /**
   * Discord's buckets: one per route (method + path with ids replaced) and major parameter
   * (channel, guild, webhook…); its hash is shared by every major parameter of the route.
   */
  private bucketFor(r: DiscordRequest): Bucket {
    const parts = r.path.split('/').slice(1);
    const route = parts.map((part, i) => (i % 2 === 1 && /^\d+$/.test(part) ? ':id' : part)).slice(0, 4);
    const major = ['channels', 'guilds', 'webhooks'].includes(parts[0] ?? '') ? (parts[1] ?? '') : '';
    const key = `${r.method} ${route.join('/')} ${major}`;
    const limits = isMessageEdit(r) ? this.editRateLimit : this.rateLimit;
    const now = Date.now();
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.resetAt <= now) {
      const hash = createHash('sha1')
        .update(`${r.method} ${route.join('/')}`)
        .digest('hex')
        .slice(0, 16);
      bucket = { hash, limit: limits.limit, remaining: limits.limit, resetAt: now + limits.windowMs };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private limitHeaders(bucket: Bucket, remaining = bucket.remaining): Record<string, string> {
    const resetAfter = Math.max(0, bucket.resetAt - Date.now()) / 1000;
    return {
      'x-ratelimit-limit': String(bucket.limit),
      'x-ratelimit-remaining': String(Math.max(0, remaining)),
      'x-ratelimit-reset': (bucket.resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': bucket.hash,
    };
  }

  private route(r: DiscordRequest): { status: number; body: unknown } | null | undefined {
    const ok = (body: unknown) => ({ status: 200, body });
    const s = r.path.split('/').slice(1);
    const key = `${r.method} ${s.map((part, i) => (i % 2 === 1 && /^\d+$/.test(part) ? ':id' : part)).join('/')}`;
    switch (key) {
      case 'GET gateway/bot':
        return ok({
          url: this.world.gatewayUrl(),
          shards: 1,
          session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
        });
      case 'GET applications/@me':
        return ok({ id: this.world.applicationId, name: 'agent-bridge', bot: userPayload(this.world.bot) });
      case 'PUT applications/:id/commands':
      case 'PUT applications/:id/guilds/:id/commands': {
        const body = (r.body ?? []) as unknown as Json[];
        this.registrations.push({ path: r.path, body });
        return ok(body.map((c) => ({ ...c, id: snowflake(), application_id: this.world.applicationId })));
      }
      case 'GET channels/:id': {
        const channel = this.world.channel(s[1] ?? '');
        return channel ? ok(channelJson(channel)) : notFound(10003, 'Unknown Channel');
      }
      case 'POST channels/:id/typing':
        return null;
      case 'POST channels/:id/messages':
        return this.createMessage(s[1] ?? '', r.body ?? {});
      case 'GET channels/:id/messages':
        return this.listMessages(s[1] ?? '', r.query);
      case 'PATCH channels/:id/messages/:id':
        return this.editMessage(s[1] ?? '', s[3] ?? '', r.body ?? {}, (m) => isBotPost(m, this.world.bot));
      case 'GET channels/:id/webhooks':
      case 'POST channels/:id/webhooks':
        return this.channelWebhooks(r, s[1] ?? '');
      case 'GET guilds/:id/members/:id': {
        const guild = this.world.guild(s[1] ?? '');
        if (!guild) return notFound(10004, 'Unknown Guild');
        const member = guild.members.find((user) => user.id === s[3]);
        return member ? ok(memberPayload(member)) : notFound(10007, 'Unknown Member');
      }
      case 'DELETE users/@me/guilds/:id':
        return this.world.leaveGuild(s[3] ?? '') ? null : notFound(10004, 'Unknown Guild');
      case 'GET webhooks/:id': {
        const webhook = this.webhooks.get(s[1] ?? '');
        return webhook ? ok(webhookJson(webhook)) : notFound(10015, 'Unknown Webhook');
      }
    }
    if (r.method === 'POST' && s[0] === 'interactions' && s[3] === 'callback') {
      this.interactionCallbacks.push({ interactionId: s[1] ?? '', token: s[2] ?? '', body: r.body ?? {} });
      return null;
    }
    if (isWebhookExecute(r)) return this.executeWebhook(r, s[1] ?? '', s[2] ?? '');
    if (r.method === 'PATCH' && s[0] === 'webhooks' && s[3] === 'messages' && s[4] !== '@original') {
      const webhook = this.webhooks.get(s[1] ?? '');
      if (!webhook || webhook.token !== s[2]) return notFound(10015, 'Unknown Webhook');
      // A message in a thread is found only with its thread_id.
      const channelId = r.query.thread_id ?? webhook.channelId;
      return this.editMessage(channelId, s[4] ?? '', r.body ?? {}, (m) => m.webhook_id === webhook.id);
    }
    if (r.method === 'PATCH' && s[0] === 'webhooks' && s[4] === '@original') {
      this.originalEdits.push({ token: s[2] ?? '', body: r.body ?? {} });
      const reply = messagePayload({
        channel: { id: snowflake(), type: 0 },
        author: this.world.bot,
        content: '',
      });
      return ok({ ...reply, ...r.body, flags: 64 });
    }
    return undefined;
  }

  /** An edit as Discord answers it: the whole message, `edited_timestamp` set; others' messages refused. */
  private editMessage(channelId: string, messageId: string, body: Json, mayEdit: (m: Json) => boolean) {
    const channel = this.world.channel(channelId);
    if (!channel) return notFound(10003, 'Unknown Channel');
    const message = this.messages.get(messageId);
    if (!message || message.channel_id !== channelId) return notFound(10008, 'Unknown Message');
    if (!mayEdit(message)) {
      return {
        status: 403,
        body: { message: 'Cannot edit a message authored by another user', code: 50005 },
      };
    }
    const closed = closedThread(channel);
    if (closed) return closed;
    const edited: Json = {
      ...message,
      ...(typeof body.content === 'string' && { content: body.content }),
      ...(Array.isArray(body.components) && { components: body.components as Json[] }),
      ...(typeof body.flags === 'number' && { flags: body.flags }),
      edited_timestamp: new Date().toISOString(),
    };
    this.messages.set(messageId, edited);
    this.world.echoEdit(edited);
    return { status: 200, body: edited };
  }

  private createMessage(channelId: string, body: Json) {
    const channel = this.world.channel(channelId);
    if (!channel) return notFound(10003, 'Unknown Channel');
    const closed = closedThread(channel);
    if (closed) return closed;
    const nonce = typeof body.nonce === 'string' ? body.nonce : undefined;
    const nonceKey = nonce && `${this.world.bot.id}:${nonce}`;
    const earlier = nonceKey ? this.nonces.get(nonceKey) : undefined;
    if (body.enforce_nonce === true && earlier && Date.now() - earlier.at < this.nonceWindowMs) {
      return { status: 200, body: earlier.message };
    }
    const reference = body.message_reference as { message_id?: string } | undefined;
    const message = messagePayload({
      channel,
      author: this.world.bot,
      content: String(body.content ?? ''),
      ...(nonce && { nonce }),
      ...(reference?.message_id && { replyTo: { id: reference.message_id } }),
      ...(Array.isArray(body.components) && { components: body.components as Json[] }),
    });
    if (channel.guildId) message.member = memberPayload(this.world.bot, { user: undefined });
    if (nonceKey) this.nonces.set(nonceKey, { message, at: Date.now() });
    return this.publish(message);
  }

  /**
   * GET /channels/:id/messages as Discord answers it: `after` → the oldest `limit` messages after
   * it, `before` → the newest before it, neither → the newest; always newest first, and without
   * what only gateway events carry (guild_id, member, nonce).
   */
  private listMessages(channelId: string, query: Record<string, string>) {
    if (!this.world.channel(channelId)) return notFound(10003, 'Unknown Channel');
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return { status: 400, body: { message: 'Invalid Form Body', code: 50035 } };
    }
    let list = this.channelMessages(channelId);
    if (query.after !== undefined) {
      const after = query.after;
      list = list.filter((m) => compareIds(String(m.id), after) > 0).slice(0, limit);
    } else if (query.before !== undefined) {
      const before = query.before;
      list = list.filter((m) => compareIds(String(m.id), before) < 0).slice(-limit);
    } else {
      list = list.slice(-limit);
    }
    return {
      status: 200,
      body: list.reverse().map(({ guild_id: _g, member: _m, nonce: _n, ...rest }) => rest),
    };
  }

  private channelWebhooks(r: DiscordRequest, channelId: string) {
    const channel = this.world.channel(channelId);
    if (!channel) return notFound(10003, 'Unknown Channel');
    if (this.webhooksDenied.has(channelId)) return { status: 403, body: MISSING_PERMISSIONS.body };
    if (r.method === 'GET') {
      const list = [...this.webhooks.values()].filter((w) => w.channelId === channelId).map(webhookJson);
      return { status: 200, body: list };
    }
    const name = typeof r.body?.name === 'string' ? r.body.name : 'webhook';
    return { status: 200, body: webhookJson(this.addWebhook(channel, this.world.bot, name)) };
  }

  private executeWebhook(r: DiscordRequest, id: string, token: string) {
    const webhook = this.webhooks.get(id);
    if (!webhook || webhook.token !== token) return notFound(10015, 'Unknown Webhook');
    const channel = this.world.channel(r.query.thread_id ?? webhook.channelId);
    if (!channel) return notFound(10003, 'Unknown Channel');
    const closed = closedThread(channel);
    if (closed) return closed;
    const body = r.body ?? {};
    const author = { id: webhook.id, username: String(body.username ?? webhook.name), bot: true };
    const message = messagePayload({
      channel,
      author,
      content: String(body.content ?? ''),
      webhookId: webhook.id,
      // Application-owned webhooks (ours: the bot created them) may carry interactive components.
      ...(Array.isArray(body.components) &&
        webhook.creator.id === this.world.bot.id && {
          components: body.components as Json[],
        }),
    });
    const published = this.publish(message);
    return r.query.wait === 'true' ? published : null;
  }

  private publish(message: Json) {
    this.messages.set(String(message.id), message);
    this.world.echo(message);
    return { status: 200, body: message };
  }
}

/** Snowflakes order as numbers, not as strings. */
export function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function isMessageEdit(r: DiscordRequest): boolean {
  return (
    r.method === 'PATCH' &&
    (/^\/channels\/\d+\/messages\/\d+$/.test(r.path) ||
      /^\/webhooks\/\d+\/[^/]+\/messages\/\d+$/.test(r.path))
  );
}

function isBotPost(message: Json, bot: FakeUser): boolean {
  const author = message.author as { id?: string } | undefined;
  return author?.id === bot.id && !message.webhook_id;
}

function isWebhookExecute(r: DiscordRequest): boolean {
  return r.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(r.path);
}

/** Discord refuses posts in a locked thread (403, 160005) and in an archived one (400, 50083). */
function closedThread(channel: FakeChannel) {
  if (channel.locked) return { status: 403, body: { message: 'Thread is locked', code: 160005 } };
  if (channel.archived) {
    return { status: 400, body: { message: 'Thread is archived', code: 50083 } };
  }
  return undefined;
}

function notFound(code: number, message: string) {
  return { status: 404, body: { message, code } };
}

function channelJson(channel: FakeChannel): Json {
  if (channel.type === ChannelKind.DM) return channelPayload(channel);
  return {
    id: channel.id,
    type: channel.type,
    ...(channel.guildId && { guild_id: channel.guildId }),
    ...(channel.name && { name: channel.name }),
    ...(channel.parentId && { parent_id: channel.parentId }),
  };
}

function webhookJson(webhook: FakeWebhook): Json {
  return {
    id: webhook.id,
    type: 1,
    token: webhook.token,
    channel_id: webhook.channelId,
    guild_id: webhook.guildId,
    name: webhook.name,
    avatar: null,
    application_id: null,
    user: userPayload(webhook.creator),
  };
}
