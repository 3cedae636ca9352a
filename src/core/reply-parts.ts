/**
 * How many platform messages one reply may become (MAX_REPLY_PARTS). The stored reply stays whole;
 * what is posted is capped, and the last part posted says the rest was cut. Pure and
 * deterministic: every attempt at a delivery computes the same parts, so the posted-part records
 * and the lookups for earlier posts stay correct.
 */

import { cutIndex, TRUNCATED_MARKER } from './clean-text.ts';

export { TRUNCATED_MARKER };

/**
 * The first `max` parts; when there were more, the last kept part ends with the marker. It is
 * shortened (from its end, never inside a surrogate pair) so that it stays within `limit`
 * characters, and a code block it leaves open is closed before the marker.
 */
export function capParts(
  parts: readonly string[],
  max: number | undefined,
  limit: number,
  /** The text was already cut before it was split (clipForFormatting): mark the last part anyway. */
  clipped = false,
): string[] {
  if (max === undefined || max < 1 || (parts.length <= max && !clipped)) return [...parts];
  if (parts.length === 0) return [];
  const kept = parts.slice(0, max);
  const lastIndex = kept.length - 1;
  kept[lastIndex] = withMarker(kept[lastIndex] ?? '', limit);
  return kept;
}

const FENCE = '```';

function withMarker(part: string, limit: number): string {
  const tail = `\n${TRUNCATED_MARKER}`;
  let body = part.trimEnd();
  const room = Math.max(0, limit - tail.length - (FENCE.length + 1));
  if (body.length > room) {
    body = body.slice(0, cutIndex(body, room)).trimEnd();
  }
  const openFence = (body.split(FENCE).length - 1) % 2 === 1;
  return `${body}${openFence ? `\n${FENCE}` : ''}${tail}`;
}

/**
 * Formatting can cost more than linear time (Slack's Markdown conversion is quadratic on one long
 * paragraph: seconds for 100 KB, on the event loop that also acknowledges events). What `max` parts
 * of `limit` characters can show is at most `max * limit` characters of output; twice that of input
 * leaves room for markup the formatting removes. Cut there, never inside a surrogate pair.
 */
export function clipForFormatting(
  text: string,
  max: number | undefined,
  limit: number,
): { text: string; clipped: boolean } {
  if (max === undefined || max < 1) return { text, clipped: false };
  const room = max * limit * 2;
  if (text.length <= room) return { text, clipped: false };
  return { text: text.slice(0, cutIndex(text, room)), clipped: true };
}
