/**
 * Sends Events API callbacks the way Slack does, cheaply enough for load: signed (v0 HMAC-SHA256
 * of `v0:{timestamp}:{raw body}`, see test/fakes/slack-events.ts), over keep-alive HTTP, with
 * Slack's 3 s limit: no answer within it is a failure, like a non-2xx or a refused connection.
 * The outcome says what Slack would put in `x-slack-retry-reason` if it retried.
 */
import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** Slack waits this long for the acknowledgement. */
export const SLACK_ACK_TIMEOUT_MS = 3000;

export type RetryReason = 'http_timeout' | 'http_error' | 'connection_failed' | 'unknown_error';

export interface AckOutcome {
  /** A 2xx arrived within the limit. */
  ok: boolean;
  /** HTTP status, when an answer arrived. */
  status?: number;
  /** Why it is not ok, in Slack's retry-reason words. */
  reason?: RetryReason;
  /** The socket error code, if any (ECONNREFUSED, ECONNRESET…). */
  code?: string;
  /** Request start → response headers (or failure), ms. */
  ms: number;
}

export interface SenderOptions {
  /** e.g. http://127.0.0.1:3000/slack/events */
  url: string;
  secret: string;
  timeoutMs?: number;
  /** Concurrent connections (open-loop load needs many: an overloaded service holds each one). */
  maxSockets?: number;
}

export class SignedEventSender {
  private readonly agent: Agent;
  private readonly target: URL;
  private readonly timeoutMs: number;
  private live = 0;

  constructor(private readonly options: SenderOptions) {
    this.target = new URL(options.url);
    this.timeoutMs = options.timeoutMs ?? SLACK_ACK_TIMEOUT_MS;
    // Idle sockets close after 1 s, well before a Node server's 5 s keep-alive timeout even when
    // this process runs late, so a request rarely meets a socket the server is closing.
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 4096,
      scheduling: 'lifo',
      timeout: 1000,
    });
  }

  /** Requests started and not yet settled. */
  get inFlight(): number {
    return this.live;
  }

  /** Requests waiting for a free socket (non-zero means the sender, not the service, is queueing). */
  get queued(): number {
    let count = 0;
    for (const list of Object.values(this.agent.requests)) count += list?.length ?? 0;
    return count;
  }

  post(body: string, retry?: { num: number; reason: string }): Promise<AckOutcome> {
    const started = performance.now();
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', this.options.secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    this.live += 1;
    return new Promise<AckOutcome>((resolve) => {
      let settled = false;
      let req: ReturnType<typeof request>;
      const finish = (outcome: Omit<AckOutcome, 'ms'>, at = performance.now()): void => {
        if (settled) return;
        settled = true;
        this.live -= 1;
        clearTimeout(timer);
        resolve({ ...outcome, ms: at - started });
      };
      const timer = setTimeout(() => {
        finish({ ok: false, reason: 'http_timeout' });
        req.destroy();
      }, this.timeoutMs);
      const send = (firstTry: boolean): void => {
        req = this.request(body, timestamp, signature, retry);
        req.on('response', (res) => {
          const at = performance.now();
          const status = res.statusCode ?? 0;
          // Drain the body so the socket goes back to the pool.
          res.resume();
          res.on('error', () => {});
          const ok = status >= 200 && status < 300;
          finish({ ok, status, ...(!ok && { reason: 'http_error' as const }) }, at);
        });
        req.on('error', (error: NodeJS.ErrnoException) => {
          const code = error.code ?? 'UNKNOWN';
          // A kept-alive socket the server was closing as we reused it (Node's docs advise a
          // resend for reusedSocket + ECONNRESET). Were the server dead instead, the resend meets
          // a closed port and fails as connection_failed like any other attempt.
          if (firstTry && req.reusedSocket && code === 'ECONNRESET' && !settled) return send(false);
          const connection = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(code);
          finish({ ok: false, reason: connection ? 'connection_failed' : 'unknown_error', code });
        });
        req.end(body);
      };
      send(true);
    });
  }

  private request(
    body: string,
    timestamp: number,
    signature: string,
    retry: { num: number; reason: string } | undefined,
  ): ReturnType<typeof request> {
    return request({
      host: this.target.hostname,
      port: this.target.port,
      path: this.target.pathname,
      method: 'POST',
      agent: this.agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signature,
        ...(retry && { 'x-slack-retry-num': String(retry.num), 'x-slack-retry-reason': retry.reason }),
      },
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface DmEvent {
  /** The raw JSON body to sign and post. */
  body: string;
  channel: string;
  user: string;
  eventId: string;
  ts: string;
}

/**
 * A DM to the app in its own channel, as Slack wraps it (`event_callback` envelope): channel
 * `D…`, channel_type `im`, user `U…`, a unique ts and event_id for sequence number `n`.
 */
export function dmEvent(fields: {
  teamId: string;
  n: number;
  tag: string;
  text: string;
  appId?: string;
}): DmEvent {
  const id = `${fields.tag}${fields.n.toString(36).toUpperCase().padStart(6, '0')}`;
  const channel = `D${id}`;
  const user = `U${id}`;
  const seconds = Math.floor(Date.now() / 1000);
  const ts = `${seconds}.${String(fields.n % 1_000_000).padStart(6, '0')}`;
  const eventId = `Ev${id}`;
  const body = JSON.stringify({
    token: 'verification-token-unused',
    team_id: fields.teamId,
    api_app_id: fields.appId ?? 'AFAKEAPP',
    event: {
      type: 'message',
      channel_type: 'im',
      channel,
      user,
      text: fields.text,
      ts,
      event_ts: ts,
    },
    type: 'event_callback',
    event_id: eventId,
    event_time: seconds,
    authorizations: [{ enterprise_id: null, team_id: fields.teamId, user_id: 'UBOT', is_bot: true }],
    is_ext_shared_channel: false,
  });
  return { body, channel, user, eventId, ts };
}
