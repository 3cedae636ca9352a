/**
 * Ids we hand to BullMQ. BullMQ (6.x, `Job.validateOptions`) rejects a custom job id that parses as
 * an integer ("Custom Id cannot be integers") or that contains `:` unless it has exactly three
 * `:`-separated parts (kept for legacy repeatable jobs) — so no `:` at all here. Deduplication ids
 * have no such check but end up inside Redis keys (`bull:<queue>:de:<id>`), so they follow the same
 * rules. Each part is escaped so that different inputs can never produce the same id.
 */

const SEPARATOR = '.';

/** Letters, digits, `_` and `-` pass; anything else (`:`, `.`, `%`, spaces, …) becomes `%XX`. */
export function escapeIdPart(part: string): string {
  return part.replace(/[^A-Za-z0-9_-]/gu, (char) =>
    [...new TextEncoder().encode(char)]
      .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

/**
 * The deduplication id of the pending reply of `agentId` in `conversationId`: every message of
 * a burst (within DEBOUNCE_MS) lands on the same id, hence on one reply job. It also keys the
 * typing signal of that reply.
 */
export function replyDebounceKey(conversationId: string, agentId: string): string {
  return ['reply', escapeIdPart(conversationId), escapeIdPart(agentId)].join(SEPARATOR);
}

/**
 * The reply job of an intent: the agent asked to answer `messageId` in the conversation. Derived
 * from the intent, so adding it again (a redelivered event) is the same job. `attempt` > 0 marks a
 * re-enqueue by the sweeper (BullMQ keeps finished jobs, and an id it holds is never added again).
 */
export function replyJobId(conversationId: string, agentId: string, messageId: number, attempt = 0): string {
  const id = `${replyDebounceKey(conversationId, agentId)}${SEPARATOR}${messageId}`;
  return attempt > 0 ? `${id}${SEPARATOR}s${attempt}` : id;
}

/**
 * The delivery job id of a stored reply message: the same reply always maps to the same job, so
 * enqueueing it twice (a retried reply job, a crash between store and enqueue, the sweeper) adds it
 * once.
 */
export function deliveryJobId(replyMessageId: number | string): string {
  return ['deliver', escapeIdPart(String(replyMessageId))].join(SEPARATOR);
}
