/**
 * The reply job's side of a streamed reply: it hands over the model's text as it grows, and this
 * decides when a snapshot goes to the process that shows it. Until something can show (the first
 * whole word), every delta goes at once: the first visible token must not wait. After that at most
 * one snapshot per interval, the latest, so a streamed reply costs a bounded number of calls (and
 * of Redis commands from a separate worker) whatever the number of tokens. The text is made safe
 * (`render`) only when a snapshot goes, not per delta.
 */
import type { LiveSnapshot, LiveTarget } from '../core/live-reply.ts';
import { LIVE_UPDATE_INTERVAL_MS, settledText } from '../core/live-text.ts';

export interface LiveFeed {
  push(rawText: string): void;
  /** The model call ended (answered or failed): nothing more is sent. */
  end(): void;
}

export type LiveOpen = (key: string, target: LiveTarget, render: (raw: string) => string) => LiveFeed;

export function liveOutlet(
  send: (snapshot: LiveSnapshot) => void,
  intervalMs = LIVE_UPDATE_INTERVAL_MS,
): LiveOpen {
  return (key, target, render) => {
    let raw = '';
    let firstTokenAt: number | undefined;
    let visible = false;
    let lastSentAt = 0;
    let timer: NodeJS.Timeout | undefined;
    let ended = false;

    const flush = (): void => {
      timer = undefined;
      if (ended || firstTokenAt === undefined) return;
      const text = render(raw);
      lastSentAt = Date.now();
      if (!visible && settledText(text) !== '') visible = true;
      send({ key, target, text, firstTokenAt });
    };

    return {
      push(text) {
        if (ended) return;
        raw = text;
        firstTokenAt ??= Date.now();
        if (!visible) return flush();
        if (!timer) {
          timer = setTimeout(flush, Math.max(0, lastSentAt + intervalMs - Date.now()));
          timer.unref();
        }
      },
      end() {
        ended = true;
        if (timer) clearTimeout(timer);
        timer = undefined;
      },
    };
  };
}
