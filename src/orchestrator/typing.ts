/**
 * The "agent is working" signal: started when a reply is scheduled, stopped on the reply or the
 * failure, refreshed where the platform's indicator expires, and capped so it is never left on.
 */
import type { PlatformAdapter, TypingTarget } from '../core/types.ts';

export type TypingPort = Pick<PlatformAdapter, 'startTyping' | 'stopTyping'> & {
  /** Call startTyping again this often while active (Discord: the indicator lasts ~10 s). */
  typingRefreshMs?: number;
};

export interface TypingManagerOptions {
  /** The signal stops this long after the last start, whatever happens [120000]. */
  maxMs?: number;
  /** Adapter failures land here; they never throw out of the manager. */
  onError: (error: unknown, key: string) => void;
}

interface ActiveTyping {
  adapter: TypingPort;
  target: TypingTarget;
  /** Every startTyping call still in flight; stopTyping waits for them. */
  pending: Promise<void>;
  refresh: NodeJS.Timeout | undefined;
  cap: NodeJS.Timeout;
}

export const DEFAULT_TYPING_MAX_MS = 120_000;

export class TypingManager {
  private readonly entries = new Map<string, ActiveTyping>();
  /** stopTyping calls in flight, per key: a restart waits for them. */
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly maxMs: number;
  private readonly onError: (error: unknown, key: string) => void;

  constructor(options: TypingManagerOptions) {
    this.maxMs = options.maxMs ?? DEFAULT_TYPING_MAX_MS;
    this.onError = options.onError;
  }

  /**
   * Shows the signal for `key` (conversation + agent). Already active: no new call or refresh
   * loop, the original target is kept (it is the one stopTyping must clear), and the cap restarts
   * from now, so the signal ends at most maxMs after the last start. Never rejects.
   */
  start(key: string, adapter: TypingPort, target: TypingTarget): Promise<void> {
    const existing = this.entries.get(key);
    if (existing) {
      clearTimeout(existing.cap);
      existing.cap = this.capTimer(key);
      return existing.pending;
    }
    // A stop still clearing the previous signal must land before this start, or it would clear
    // the new signal (Slack setStatus is one status per thread).
    const previousStop = this.stopping.get(key);
    const first = previousStop
      ? previousStop.then(() => this.call(key, () => adapter.startTyping(target)))
      : this.call(key, () => adapter.startTyping(target));
    const entry: ActiveTyping = {
      adapter,
      target,
      pending: first,
      refresh: undefined,
      cap: this.capTimer(key),
    };
    const every = adapter.typingRefreshMs;
    if (every !== undefined && Number.isFinite(every) && every > 0) {
      entry.refresh = setInterval(() => {
        const call = this.call(key, () => adapter.startTyping(target));
        entry.pending = Promise.all([entry.pending, call]).then(() => undefined);
      }, every);
      entry.refresh.unref();
    }
    this.entries.set(key, entry);
    return first;
  }

  /** Clears the signal once; an unknown key is a no-op. Never rejects. */
  stop(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return this.stopping.get(key) ?? Promise.resolve();
    this.entries.delete(key);
    clearTimeout(entry.cap);
    if (entry.refresh) clearInterval(entry.refresh);
    // A startTyping still in flight could land after the clear and leave the signal on.
    const done = entry.pending
      .then(() => this.call(key, () => entry.adapter.stopTyping(entry.target)))
      .finally(() => {
        if (this.stopping.get(key) === done) this.stopping.delete(key);
      });
    this.stopping.set(key, done);
    return done;
  }

  /**
   * Drops the signals whose target matches without calling the platform (the app was removed from
   * that workspace: a call would fail, and there is nothing left to clear). Returns how many.
   */
  forgetWhere(match: (target: TypingTarget, adapter: TypingPort) => boolean): number {
    let dropped = 0;
    for (const [key, entry] of this.entries) {
      if (!match(entry.target, entry.adapter)) continue;
      this.entries.delete(key);
      clearTimeout(entry.cap);
      if (entry.refresh) clearInterval(entry.refresh);
      dropped += 1;
    }
    return dropped;
  }

  /** Shutdown: clears every signal. Never rejects. */
  async stopAll(): Promise<void> {
    await Promise.all(this.active().map((key) => this.stop(key)));
  }

  active(): string[] {
    return [...this.entries.keys()];
  }

  private capTimer(key: string): NodeJS.Timeout {
    const timer = setTimeout(() => void this.stop(key), this.maxMs);
    timer.unref();
    return timer;
  }

  /** Runs one adapter call; a throw or rejection goes to onError, never further. */
  private call(key: string, run: () => Promise<void>): Promise<void> {
    const report = (error: unknown): void => {
      try {
        this.onError(error, key);
      } catch {
        // A failing error hook must not turn into an unhandled rejection either.
      }
    };
    try {
      return run().catch(report);
    } catch (error) {
      report(error);
      return Promise.resolve();
    }
  }
}
