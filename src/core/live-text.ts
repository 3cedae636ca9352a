/**
 * What a streamed reply shows mid-stream, pure. Text is shown up to its last whitespace, so a
 * mention, a link or a word the model is still writing is never shown half-written (nor made safe
 * half-way, which could change an earlier part). Markdown the model left open (a code fence,
 * emphasis, a link) is closed by remend, written for exactly this, so what shows is never
 * half-converted.
 */
import remend from 'remend';

/** The most often a started message is updated (edits and appends alike): Slack's and Discord's pace. */
export const LIVE_UPDATE_INTERVAL_MS = 1000;

/** The text up to its last whitespace (all of it once it ends in one); '' before the first word ends. */
export function settledText(text: string): string {
  if (/\s$/u.test(text)) return text.trimEnd();
  const match = /\s\S*$/u.exec(text);
  return match ? text.slice(0, match.index).trimEnd() : '';
}

/** Markdown with what it left open closed (fences, emphasis, inline code, links). */
export function closeOpenMarkdown(text: string): string {
  return remend(text);
}

/** When the next update may go out: the first at once, then one per interval. */
export function nextUpdateAt(lastSentAt: number | undefined, intervalMs = LIVE_UPDATE_INTERVAL_MS): number {
  return lastSentAt === undefined ? 0 : lastSentAt + intervalMs;
}
