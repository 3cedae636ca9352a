/**
 * Notices (help, "no agent here", paused) answer every message that gets no agent, so without a
 * bound anyone could make the bot post as fast as they write. At most one notice per key (the
 * channel or DM: each Slack channel mention opens its own thread) per interval, per process (a
 * notice is a hint, not a reply: a second process posting one more is harmless). Remembers at
 * most `maxKeys` conversations. The clock is passed in: no timers.
 */
export const NOTICE_INTERVAL_MS = 60_000;

export class NoticeThrottle {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs: number = NOTICE_INTERVAL_MS,
    private readonly maxKeys = 10_000,
  ) {}

  /** Whether a notice may go to `conversation` at `now`; if so, it counts as sent. */
  allow(conversation: string, now: number): boolean {
    const previous = this.last.get(conversation);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    if (this.last.size >= this.maxKeys) this.forgetBefore(now - this.intervalMs);
    this.last.delete(conversation);
    this.last.set(conversation, now);
    return true;
  }

  private forgetBefore(cutoff: number): void {
    // Oldest first (insertion order, refreshed on each allow).
    for (const [key, at] of this.last) {
      if (at >= cutoff && this.last.size < this.maxKeys) break;
      this.last.delete(key);
    }
  }
}
