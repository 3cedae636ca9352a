/**
 * Reading what the gateway did not deliver. Discord sends a message once, to whoever is connected:
 * after a restart, a lost session, a RESUME that replayed less than was missed, or a message the
 * service could not store, the messages are still on Discord. On each READY and RESUMED (and when
 * the store works again after messages were given up) this reads, in every channel worth watching,
 * the messages after the last one stored from there, oldest first, and hands each to the normal
 * inbound path; the store drops what it already has, so reading a little too much is harmless.
 *
 * Bounded: nothing older than `windowMs`, at most `perChannel` messages per channel (the newest),
 * `concurrency` channels at once (discord.js keeps to the rate limits).
 */
import { type Client, DiscordAPIError, type Message, type MessageManager } from 'discord.js';
import type { Logger } from '../../logger.ts';
import type { CatchUpPoint, CatchUpWindow } from '../hooks.ts';
import { laterOf, snowflakeAt } from './snowflakes.ts';

export interface CatchUpOptions {
  /** Read nothing older than this [24 h]. */
  windowMs?: number;
  /** At most this many messages per channel, the newest [200]. */
  perChannel?: number;
  /** Channels read at once [2]. */
  concurrency?: number;
  /** Threads under joined channels known only from the gateway (no stored conversation) [100]. */
  maxUnstoredThreads?: number;
}

export interface CatchUpDeps {
  client: Client;
  logger: Logger;
  /** The stored side (AdapterHooks.catchUpPoints); without it only given-up messages are read again. */
  points?: (window: CatchUpWindow) => Promise<CatchUpPoint[]>;
  /** Hands a message to the inbound path (queued in its channel's order, retried); waits for room. */
  ingest(message: Message): Promise<void>;
}

const PAGE = 100;
const MAX_HOLES = 1_000;

interface Target {
  channelId: string;
  /** Read the messages after this id. */
  after: bigint;
}

export class CatchUp {
  private readonly windowMs: number;
  private readonly perChannel: number;
  private readonly concurrency: number;
  private readonly maxUnstoredThreads: number;
  /** Channel → the oldest message given up there: read again from it. */
  private readonly holes = new Map<string, bigint>();
  private running: Promise<void> | undefined;
  /** A trigger that came while a run was going (the earliest one's time). */
  private queued: { reason: string; full: boolean; at: Date } | undefined;
  private stopped = false;

  constructor(
    private readonly deps: CatchUpDeps,
    options: CatchUpOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 24 * 3600_000;
    this.perChannel = options.perChannel ?? 200;
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.maxUnstoredThreads = options.maxUnstoredThreads ?? 100;
  }

  /** A message of this channel could not be stored: the next run reads the channel from it. */
  hole(channelId: string, messageId: string): void {
    if (!this.holes.has(channelId) && this.holes.size >= MAX_HOLES) return;
    this.reopen(channelId, BigInt(messageId) - 1n);
  }

  private reopen(channelId: string, after: bigint): void {
    const known = this.holes.get(channelId);
    if (known === undefined || after < known) this.holes.set(channelId, after);
  }

  get hasHoles(): boolean {
    return this.holes.size > 0;
  }

  /**
   * Runs a catch-up now, or right after the one running. `full`: every watched channel (after a
   * READY or RESUMED); else only the channels where messages were given up.
   */
  trigger(reason: string, full = true): void {
    const at = new Date();
    if (this.running) {
      const queued = this.queued;
      this.queued = queued
        ? { reason: queued.reason, full: full || queued.full, at: queued.at }
        : { reason, full, at };
      return;
    }
    this.start(reason, full, at);
  }

  private start(reason: string, full: boolean, at: Date): void {
    if (this.stopped) return;
    this.running = this.run(reason, full, at)
      .catch((error: unknown) => this.deps.logger.warn({ err: error, reason }, 'discord catch-up failed'))
      .finally(() => {
        this.running = undefined;
        const next = this.queued;
        this.queued = undefined;
        if (next) this.start(next.reason, next.full, next.at);
      });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  private async run(reason: string, full: boolean, at: Date): Promise<void> {
    const since = new Date(at.getTime() - this.windowMs);
    const points = full && this.deps.points ? await this.deps.points({ since, storedBefore: at }) : [];
    const targets = new Map<string, bigint>();
    const add = (channelId: string, after: bigint) => {
      const known = targets.get(channelId);
      if (known === undefined || after < known) targets.set(channelId, after);
    };
    for (const point of points) {
      const after = laterOf(snowflakeAt(point.notBefore.getTime()), cursorOf(point));
      add(point.channelId, after);
    }
    for (const thread of this.unstoredThreads(points, targets)) add(thread.channelId, thread.after);
    const holes = [...this.holes];
    this.holes.clear();
    const floor = snowflakeAt(since.getTime());
    for (const [channelId, after] of holes) add(channelId, laterOf(floor, after));

    let handed = 0;
    const queue = [...targets].map(([channelId, after]) => ({ channelId, after }));
    const worker = async () => {
      for (let target = queue.shift(); target && !this.stopped; target = queue.shift()) {
        handed += await this.readChannel(target);
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    this.deps.logger.info(
      { reason, channels: targets.size, messages: handed },
      'discord catch-up: read the channels agents watch for messages the gateway did not deliver',
    );
  }

  /**
   * Threads under joined channels that the gateway knows (GUILD_CREATE lists the active ones) but
   * the store has no conversation for: everything in them since the channel was joined is unseen.
   */
  private unstoredThreads(points: CatchUpPoint[], known: Map<string, bigint>): Target[] {
    const joined = new Map(
      points
        .filter((p) => p.kind === 'channel')
        .map((p) => [p.channelId, snowflakeAt(p.notBefore.getTime())]),
    );
    const threads: Target[] = [];
    for (const channel of this.deps.client.channels.cache.values()) {
      if (threads.length >= this.maxUnstoredThreads) break;
      if (!channel.isThread() || !channel.parentId || known.has(channel.id)) continue;
      const from = joined.get(channel.parentId);
      if (from !== undefined) threads.push({ channelId: channel.id, after: from });
    }
    return threads;
  }

  /** Hands on the messages of one channel after the target; resolves to how many. */
  private async readChannel(target: Target): Promise<number> {
    const { client, logger } = this.deps;
    try {
      const channel =
        client.channels.cache.get(target.channelId) ?? (await client.channels.fetch(target.channelId));
      if (!channel?.isTextBased()) return 0;
      const messages = await this.missed(channel.messages, target);
      for (const message of messages) {
        if (this.stopped) break;
        await this.deps.ingest(message);
      }
      return messages.length;
    } catch (error) {
      // The bot left, lost access, or the channel is gone: nothing to read there. Anything else
      // (Discord unreachable) ends this channel's read; the next trigger reads it again.
      if (error instanceof DiscordAPIError) {
        logger.info({ err: error, channelId: target.channelId }, 'discord catch-up cannot read a channel');
        return 0;
      }
      logger.warn({ err: error, channelId: target.channelId }, 'discord catch-up could not read a channel');
      this.reopen(target.channelId, target.after);
      return 0;
    }
  }

  /** The messages after the target, oldest first; the newest `perChannel` when there are more. */
  private async missed(manager: MessageManager, target: Target): Promise<Message[]> {
    const first = await manager.fetch({ after: target.after.toString(), limit: PAGE });
    if (first.size < PAGE) return this.newest(oldestFirst([...first.values()]), target);
    // More than a page was missed: keep the newest, reading back from now to the target.
    const newer: Message[] = [];
    let before: string | undefined;
    while (newer.length < this.perChannel) {
      const page = [...(await manager.fetch({ limit: PAGE, ...(before && { before }) })).values()];
      const fresh = page.filter((m) => BigInt(m.id) > target.after);
      newer.push(...fresh);
      if (page.length < PAGE || fresh.length < page.length) break;
      before = oldestFirst(page)[0]?.id;
    }
    return this.newest(oldestFirst(newer), target);
  }

  /** The newest `perChannel` of the messages (oldest first); says so when that skips some. */
  private newest(messages: Message[], target: Target): Message[] {
    if (messages.length <= this.perChannel) return messages;
    this.deps.logger.warn(
      { channelId: target.channelId, read: this.perChannel },
      'discord catch-up: more messages were missed in a channel than are read; the oldest of them are skipped',
    );
    return messages.slice(-this.perChannel);
  }
}

function cursorOf(point: CatchUpPoint): bigint | undefined {
  return point.afterMessageId && /^\d+$/.test(point.afterMessageId)
    ? BigInt(point.afterMessageId)
    : undefined;
}

function oldestFirst(messages: Message[]): Message[] {
  return [...messages].sort((a, b) => {
    const x = BigInt(a.id);
    const y = BigInt(b.id);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
