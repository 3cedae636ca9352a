/**
 * What a streamed reply shows mid-stream, pure. Text is shown up to its last whitespace, so a
 * mention, a link or a word the model is still writing is never shown half-written (nor made safe
 * half-way, which could change an earlier part). Markdown the model left open is closed before
 * it shows, so it is never half-converted: a code fence here (remend leaves fences to renderers
 * that draw an open block), then emphasis, inline code and links by remend, written for this.
 */
import remend from 'remend';

/** The most often a started message is updated (edits and appends alike): Slack's and Discord's pace. */
export const LIVE_UPDATE_INTERVAL_MS = 1000;
/**
 * How long the first text of a reply waits before it is shown: an answer complete by then is posted
 * once, as a reply that never streamed (no edit, no started-message record), so fast answers cost
 * one platform call, not two, and do not flicker.
 */
export const FIRST_SHOW_DELAY_MS = 100;

/** The text up to its last whitespace (all of it once it ends in one); '' before the first word ends. */
export function settledText(text: string): string {
  if (/\s$/u.test(text)) return text.trimEnd();
  const match = /\s\S*$/u.exec(text);
  return match ? text.slice(0, match.index).trimEnd() : '';
}

/** Markdown with what it left open closed (fences, emphasis, inline code, links). */
export function closeOpenMarkdown(text: string): string {
  return remend(closeOpenFence(text));
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})/u;

/** A code block still open at the end (its fence line seen, its closing one not yet) is closed. */
export function closeOpenFence(text: string): string {
  let open: string | undefined;
  for (const line of text.split('\n')) {
    const fence = FENCE_LINE.exec(line)?.[1];
    if (!fence) continue;
    if (open === undefined) open = fence;
    else if (fence[0] === open[0] && fence.length >= open.length && line.trim() === fence) open = undefined;
  }
  if (open === undefined) return text;
  return `${text}${text.endsWith('\n') ? '' : '\n'}${open}`;
}

/** When the next update may go out: the first at once, then one per interval. */
export function nextUpdateAt(lastSentAt: number | undefined, intervalMs = LIVE_UPDATE_INTERVAL_MS): number {
  return lastSentAt === undefined ? 0 : lastSentAt + intervalMs;
}
