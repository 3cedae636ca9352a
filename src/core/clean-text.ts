/**
 * The one cleaning every stored text passes (inbound messages, edits, replies, what the model was
 * sent, names): PostgreSQL refuses NUL in text (such a message would fail on every retry), a lone
 * surrogate is not valid UTF-8 for either database, and nothing one message says may grow without
 * bound. Pure and idempotent: cleaning a cleaned text changes nothing.
 */

/** Characters a stored text keeps at most; longer ones end with TRUNCATED_MARKER. */
export const MAX_STORED_TEXT = 40_000;
/** What ends a text that was cut: a stored text over its cap, a reply over its posts. */
export const TRUNCATED_MARKER = '…(truncated)';

/** `at`, or one less where cutting at `at` would split a surrogate pair (an emoji) in two. */
export function cutIndex(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const REPLACEMENT = '\uFFFD';

/** `text` without NUL, lone surrogates as U+FFFD, cut to `max` characters (marker included). */
export function cleanStoredText(text: string, max: number = MAX_STORED_TEXT): string {
  const clean = text.replaceAll('\u0000', '').replace(LONE_SURROGATE, REPLACEMENT);
  if (clean.length <= max) return clean;
  const marker = `\n${TRUNCATED_MARKER}`;
  const cut = cutIndex(clean, Math.max(0, max - marker.length));
  return `${clean.slice(0, cut)}${marker}`.slice(0, max);
}
