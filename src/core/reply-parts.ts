/**
 * How many platform messages one reply may become (MAX_REPLY_PARTS). The stored reply stays whole;
 * what is posted is capped, and the last part posted says the rest was cut. Pure and
 * deterministic: every attempt at a delivery computes the same parts, so the posted-part records
 * and the lookups for earlier posts stay correct.
 */

export const TRUNCATED_MARKER = '…(truncated)';

/**
 * The first `max` parts; when there were more, the last kept part ends with the marker. It is
 * shortened (from its end, never inside a surrogate pair) so that it stays within `limit`
 * characters, and a code block it leaves open is closed before the marker.
 */
export function capParts(parts: readonly string[], max: number | undefined, limit: number): string[] {
  if (max === undefined || max < 1 || parts.length <= max) return [...parts];
  const kept = parts.slice(0, max);
  const last = kept[max - 1] ?? '';
  kept[max - 1] = withMarker(last, limit);
  return kept;
}

const FENCE = '```';

function withMarker(part: string, limit: number): string {
  const tail = `\n${TRUNCATED_MARKER}`;
  let body = part.trimEnd();
  const room = Math.max(0, limit - tail.length - (FENCE.length + 1));
  if (body.length > room) {
    let cut = room;
    const code = body.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    body = body.slice(0, cut).trimEnd();
  }
  const openFence = (body.split(FENCE).length - 1) % 2 === 1;
  return `${body}${openFence ? `\n${FENCE}` : ''}${tail}`;
}
