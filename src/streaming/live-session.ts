/**
 * One streamed reply shown in one platform message, where the adapter lives. The first text shows
 * `firstShowDelayMs` after the model's first token (the hub uses FIRST_SHOW_DELAY_MS: an answer
 * complete by then is posted once instead; the wait is part of time-to-first-visible-token); then
 * the message is updated with
 * the latest text at most once per LIVE_UPDATE_INTERVAL_MS, one call at a time, so deltas coalesce.
 *
 * Exactly once: before anything is shown, the reply's record is read; an earlier run's message
 * (a retry, a rerun after a crash) is taken over (a stream still open is stopped first) and edited,
 * never a second one posted. A message this session starts is recorded right after the platform
 * answers. `finish` waits for the call in flight, so no update can land after the final text.
 * Nothing is logged per update.
 */
import type { LiveMessages, LiveTarget, StartedMessage } from '../core/live-reply.ts';
import { LIVE_UPDATE_INTERVAL_MS, nextUpdateAt, settledText } from '../core/live-text.ts';
import type { Logger } from '../logger.ts';
import type { StartedRecords } from './started-records.ts';

export interface LiveSessionDeps {
  live: LiveMessages;
  records: StartedRecords;
  logger: Logger;
  intervalMs?: number;
  /** The first text waits this long after the model's first token (FIRST_SHOW_DELAY_MS) [0]. */
  firstShowDelayMs?: number;
  /** The first text became visible, `seconds` after the model's first token. */
  onFirstVisible?(target: LiveTarget, seconds: number): void;
}

export interface LiveSession {
  push(text: string, firstTokenAt: number): void;
  /** No more updates: resolves to the started message (this run's or an earlier one's), if any. */
  finish(): Promise<StartedMessage | undefined>;
  readonly lastPushAt: number;
}

export function createLiveSession(deps: LiveSessionDeps, key: string, target: LiveTarget): LiveSession {
  const interval = deps.intervalMs ?? LIVE_UPDATE_INTERVAL_MS;
  const firstShowDelay = deps.firstShowDelayMs ?? 0;
  const earlier = deps.records.get(key).catch(() => undefined);
  let latest = '';
  let firstTokenAt = Date.now();
  let shown = '';
  let message: StartedMessage | undefined;
  let lastSentAt: number | undefined;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** Nothing could be started: the final delivery posts as without streaming. */
  let broken = false;
  let visible = false;
  let lastPushAt = Date.now();

  function schedule(): void {
    if (stopped || broken || running || timer) return;
    if (settledText(latest) === shown) return;
    const due = lastSentAt === undefined ? firstTokenAt + firstShowDelay : nextUpdateAt(lastSentAt, interval);
    const wait = due - Date.now();
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        schedule();
      }, wait);
      timer.unref();
      return;
    }
    running = step().finally(() => {
      running = undefined;
      schedule();
    });
  }

  async function step(): Promise<void> {
    const text = settledText(latest);
    if (text === '' || text === shown) return;
    lastSentAt = Date.now();
    try {
      if (!message) {
        const found = await earlier;
        if (found) {
          // An earlier run's message: it shows text this run cannot extend, so it is edited whole.
          message = found.mode === 'stream' ? await deps.live.close(found) : found;
          if (message.mode !== found.mode) await deps.records.set(key, message);
          shown = '';
        }
      }
      if (!message) {
        message = await deps.live.start(target, text);
        await deps.records.set(key, message);
      } else {
        const before = message.mode;
        message = await deps.live.update(message, text, shown, target);
        if (message.mode !== before) await deps.records.set(key, message);
      }
      shown = text;
      if (!visible) {
        visible = true;
        deps.onFirstVisible?.(target, Math.max(0, Date.now() - firstTokenAt) / 1000);
      }
    } catch (error) {
      if (!message) broken = true;
      deps.logger.debug({ err: error, key, broken }, 'streamed reply update failed');
    }
  }

  return {
    push(text, tokenAt) {
      if (stopped) return;
      lastPushAt = Date.now();
      if (latest === '') firstTokenAt = tokenAt;
      latest = text;
      schedule();
    },
    async finish() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
      return message ?? (await earlier);
    },
    get lastPushAt() {
      return lastPushAt;
    },
  };
}
