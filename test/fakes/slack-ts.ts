/**
 * Message timestamps as Slack assigns them: the posting time in microseconds (`seconds.micros`),
 * never repeated. One clock for the whole test process, shared by the fake Web APIs (the agent's
 * posts) and the event senders (users' messages), so no two messages of a channel share a ts, as
 * on Slack, and a lookup that starts at a reply's creation time finds its post.
 */
let lastMicros = 0;

export function nextSlackTs(): string {
  lastMicros = Math.max(Date.now() * 1000, lastMicros + 1);
  return `${Math.floor(lastMicros / 1_000_000)}.${String(lastMicros % 1_000_000).padStart(6, '0')}`;
}
