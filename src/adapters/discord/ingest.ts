/**
 * Handing Discord messages (and their edits and deletions) to the service, each channel's in the
 * order they came, each tried again with backoff when the service cannot take it (database or
 * Redis down, overloaded): the gateway never delivers a message twice, so a message dropped here
 * is gone until a catch-up reads it again. Bounded: an event is tried `attempts` times at most,
 * and at most `maxPending` wait at once; beyond either it is given up, logged, and reported to
 * `onGivenUp`.
 */
import type { Logger } from '../../logger.ts';

export interface IngestOptions {
  /** Tries per message before it is given up [8]. */
  attempts?: number;
  /** Wait before the second try, doubling after each failure [250 ms]… */
  baseDelayMs?: number;
  /** …up to this [15 s]. With the defaults a message is given up after about a minute. */
  maxDelayMs?: number;
  /** Messages waiting (queued or being tried) at most; a message beyond is given up at once [5000]. */
  maxPending?: number;
}

export interface IngestItem {
  /** Items with the same key are handled one after another, in push order. */
  key: string;
  /** The message's id (for the logs). */
  id: string;
  /** What it is (for the logs): a message, an edit… */
  kind: string;
}

export interface IngestQueueOptions<T extends IngestItem> extends IngestOptions {
  handle(item: T): Promise<void>;
  logger: Logger;
  /** An item was given up (tried too often, too many waiting, or stopping). */
  onGivenUp?(item: T): void;
  /** An item was handled (after any number of tries). */
  onHandled?(item: T): void;
}

const OVERFLOW_LOG_EVERY_MS = 10_000;

export class IngestQueue<T extends IngestItem> {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxPending: number;
  private readonly stopping = new AbortController();
  private readonly roomWaiters: Array<() => void> = [];
  private waiting = 0;
  private overflowed = 0;
  private overflowLoggedAt = 0;

  constructor(private readonly options: IngestQueueOptions<T>) {
    this.attempts = Math.max(1, options.attempts ?? 8);
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 15_000;
    this.maxPending = options.maxPending ?? 5_000;
  }

  /** Messages queued or being tried. */
  get pending(): number {
    return this.waiting;
  }

  push(item: T): void {
    if (this.stopping.signal.aborted) return;
    if (this.waiting >= this.maxPending) {
      this.overflow(item);
      return;
    }
    this.waiting += 1;
    const next = (this.tails.get(item.key) ?? Promise.resolve()).then(() => this.run(item));
    this.tails.set(item.key, next);
    void next.finally(() => {
      this.waiting -= 1;
      if (this.tails.get(item.key) === next) this.tails.delete(item.key);
      this.roomWaiters.shift()?.();
    });
  }

  /** Like push, but waits for room instead of giving the item up: for a reader that can wait (a catch-up). */
  async pushWhenRoom(item: T): Promise<void> {
    while (this.waiting >= this.maxPending && !this.stopping.signal.aborted) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.push(item);
  }

  /** Takes no more messages; those waiting get one more try each, then are given up (logged). */
  async stop(): Promise<void> {
    this.stopping.abort();
    for (const wake of this.roomWaiters.splice(0)) wake();
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.allSettled([...this.tails.values()]);
  }

  private async run(item: T): Promise<void> {
    const { logger } = this.options;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        await this.options.handle(item);
        if (attempt > 1) {
          logger.info(
            { messageId: item.id, kind: item.kind, attempt },
            'discord event handled after retrying',
          );
        }
        this.options.onHandled?.(item);
        return;
      } catch (error) {
        lastError = error;
        // Stopping: every message still gets its try, but none waits for another.
        if (attempt === this.attempts || this.stopping.signal.aborted) break;
        logger.debug(
          { err: error, messageId: item.id, kind: item.kind, attempt },
          'discord event not handled yet: trying again',
        );
        await this.sleep(Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)));
      }
    }
    this.options.onGivenUp?.(item);
    logger.error(
      {
        err: lastError,
        messageId: item.id,
        kind: item.kind,
        channelId: item.key,
        reason: this.stopping.signal.aborted ? 'shutting down' : `${this.attempts} attempts failed`,
      },
      item.kind === 'message'
        ? 'discord message not stored: giving up (the next catch-up reads it again)'
        : 'discord message change not applied: giving up',
    );
  }

  private overflow(item: T): void {
    this.options.onGivenUp?.(item);
    this.overflowed += 1;
    const now = Date.now();
    if (now - this.overflowLoggedAt < OVERFLOW_LOG_EVERY_MS) return;
    this.overflowLoggedAt = now;
    this.options.logger.error(
      {
        messageId: item.id,
        kind: item.kind,
        channelId: item.key,
        waiting: this.waiting,
        givenUp: this.overflowed,
      },
      'discord messages not stored: too many waiting for the service, giving up the newest (the next catch-up reads them again)',
    );
    this.overflowed = 0;
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}
