/**
 * What the fake Slack workspace shows: every message chat.postMessage stored (plus any a test
 * seeds, like the human message a thread hangs off), and conversations.history /
 * conversations.replies paging through them the way Slack does:
 * - history: top-level messages (thread parents included, replies not), newest first;
 * - replies: one thread, parent and replies, oldest first;
 * - `oldest` / `latest` exclusive unless `inclusive`, `limit`, an opaque `cursor`
 *   (`response_metadata.next_cursor`) and `has_more`;
 * - `metadata` only when `include_all_metadata` is set.
 */
import { nextSlackTs } from './slack-ts.ts';

export interface SlackMessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface StoredSlackMessage {
  ts: string;
  channel: string;
  /** The thread root, for replies (and for a parent once it has replies, as Slack does). */
  thread_ts?: string;
  text: string;
  user?: string;
  bot_id?: string;
  username?: string;
  icon_url?: string;
  metadata?: SlackMessageMetadata;
  /** Block Kit, as posted (what a person sees instead of `text` when present). */
  blocks?: Array<Record<string, unknown>>;
  /** A message chat.startStream began and chat.stopStream has not ended. */
  streaming?: boolean;
}

export type ListAnswer = { body: Record<string, unknown> } | { error: string };

const HISTORY_DEFAULT_LIMIT = 100;
const HISTORY_MAX_LIMIT = 999;
const REPLIES_DEFAULT_LIMIT = 1000;
const REPLIES_MAX_LIMIT = 1000;

export class SlackMessageStore {
  /** Per channel, oldest first. */
  private readonly channels = new Map<string, StoredSlackMessage[]>();

  /** A new ts from the wall clock (seconds.micros), strictly increasing like Slack's. */
  nextTs(): string {
    return nextSlackTs();
  }

  add(message: Omit<StoredSlackMessage, 'ts'> & { ts?: string }): StoredSlackMessage {
    const stored: StoredSlackMessage = { ...message, ts: message.ts ?? this.nextTs() };
    const list = this.channels.get(stored.channel) ?? [];
    // A parent carries its own ts as thread_ts once it has replies, as on Slack.
    const parent = stored.thread_ts ? list.find((m) => m.ts === stored.thread_ts) : undefined;
    if (parent && !parent.thread_ts) parent.thread_ts = parent.ts;
    const last = list.at(-1);
    // New posts arrive in ts order: append; only seeded messages may land in between.
    const at =
      !last || micros(last.ts) <= micros(stored.ts)
        ? -1
        : list.findIndex((m) => micros(m.ts) > micros(stored.ts));
    if (at < 0) list.push(stored);
    else list.splice(at, 0, stored);
    this.channels.set(stored.channel, list);
    return stored;
  }

  find(channel: string, ts: string): StoredSlackMessage | undefined {
    return this.channels.get(channel)?.find((m) => m.ts === ts);
  }

  remove(channel: string, ts: string): boolean {
    const list = this.channels.get(channel);
    const at = list?.findIndex((m) => m.ts === ts) ?? -1;
    if (!list || at < 0) return false;
    list.splice(at, 1);
    return true;
  }

  /** What a person sees, oldest first: the channel's top level, or one thread's replies. */
  visible(channel: string, thread?: string): StoredSlackMessage[] {
    const list = this.channels.get(channel) ?? [];
    return thread
      ? list.filter((m) => m.thread_ts === thread && m.ts !== thread)
      : list.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  }

  all(): StoredSlackMessage[] {
    return [...this.channels.values()].flat();
  }

  clear(): void {
    this.channels.clear();
  }

  history(params: Record<string, unknown>): ListAnswer {
    const channel = text(params.channel);
    if (!channel) return { error: 'channel_not_found' };
    const topLevel = this.visible(channel).reverse();
    return page(topLevel, params, 'desc', HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT);
  }

  replies(params: Record<string, unknown>): ListAnswer {
    const channel = text(params.channel);
    const ts = text(params.ts);
    if (!channel) return { error: 'channel_not_found' };
    if (!ts) return { error: 'invalid_arguments' };
    const list = this.channels.get(channel) ?? [];
    const root = list.find((m) => m.ts === ts)?.thread_ts ?? ts;
    const thread = list.filter((m) => m.ts === root || m.thread_ts === root);
    if (thread.length === 0) return { error: 'thread_not_found' };
    return page(thread, params, 'asc', REPLIES_DEFAULT_LIMIT, REPLIES_MAX_LIMIT);
  }
}

function page(
  ordered: StoredSlackMessage[],
  params: Record<string, unknown>,
  order: 'asc' | 'desc',
  defaultLimit: number,
  maxLimit: number,
): ListAnswer {
  const inclusive = flag(params.inclusive);
  const oldest = params.oldest === undefined ? undefined : micros(text(params.oldest));
  const latest = params.latest === undefined ? undefined : micros(text(params.latest));
  const requested = Number(params.limit ?? defaultLimit);
  const limit = Math.min(maxLimit, Number.isFinite(requested) && requested > 0 ? requested : defaultLimit);
  let from: number | undefined;
  if (params.cursor !== undefined && params.cursor !== '') {
    from = decodeCursor(text(params.cursor));
    if (from === undefined) return { error: 'invalid_cursor' };
  }
  const inRange = ordered.filter((m) => {
    const at = micros(m.ts);
    if (oldest !== undefined && (inclusive ? at < oldest : at <= oldest)) return false;
    if (latest !== undefined && (inclusive ? at > latest : at >= latest)) return false;
    if (from !== undefined && (order === 'desc' ? at > from : at < from)) return false;
    return true;
  });
  const shown = inRange.slice(0, limit);
  const next = inRange[limit];
  const withMetadata = flag(params.include_all_metadata);
  return {
    body: {
      messages: shown.map((m) => present(m, withMetadata)),
      has_more: next !== undefined,
      ...(order === 'desc' && { pin_count: 0 }),
      ...(next && { response_metadata: { next_cursor: encodeCursor(next.ts) } }),
    },
  };
}

/** A message as the Web API returns it. */
function present(message: StoredSlackMessage, withMetadata: boolean): Record<string, unknown> {
  return {
    type: 'message',
    ts: message.ts,
    text: message.text,
    ...(message.user && { user: message.user }),
    ...(message.bot_id && { bot_id: message.bot_id, subtype: 'bot_message' }),
    ...(message.thread_ts && { thread_ts: message.thread_ts }),
    ...(message.username && { username: message.username }),
    ...(message.icon_url && { icons: { image_48: message.icon_url } }),
    ...(withMetadata && message.metadata && { metadata: message.metadata }),
  };
}

/** Slack's cursors are opaque base64; this one is `next_ts:<ts>` like Slack's own. */
function encodeCursor(ts: string): string {
  return Buffer.from(`next_ts:${ts}`).toString('base64');
}

function decodeCursor(cursor: string): number | undefined {
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  return decoded.startsWith('next_ts:') ? micros(decoded.slice('next_ts:'.length)) : undefined;
}

/** `1700000000.000100` → microseconds since the epoch (exact: below 2^53). */
export function micros(ts: string): number {
  const [seconds = '0', fraction = ''] = ts.split('.');
  return Number(seconds) * 1_000_000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function flag(value: unknown): boolean {
  return value === true || value === 'true' || value === '1' || value === 1;
}
