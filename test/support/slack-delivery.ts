/**
 * Delivers one event the way Slack's Events API does: POST it signed; when the answer is not a
 * 2xx within 3 s, or the connection fails, retry the same body (same event_id, freshly signed) with
 * `x-slack-retry-num` 1..n and `x-slack-retry-reason` after a delay. Slack waits ~0 s, 1 min and
 * 5 min; tests pass compressed delays. The event counts as acked once any attempt got a 2xx.
 */
import { performance } from 'node:perf_hooks';
import type { AckOutcome, SignedEventSender } from './slack-sender.ts';

export interface Delivery {
  acked: boolean;
  /** performance.now() when the 2xx arrived. */
  ackedAt?: number;
  attempts: AckOutcome[];
  /** Settles after the 2xx or the last retry. */
  done: Promise<void>;
}

export function deliverLikeSlack(
  sender: SignedEventSender,
  body: string,
  retryDelaysMs: readonly number[] = [500, 2000, 5000],
): Delivery {
  const delivery: Delivery = { acked: false, attempts: [], done: Promise.resolve() };
  delivery.done = (async () => {
    for (let attempt = 0; attempt <= retryDelaysMs.length; attempt++) {
      const previous = delivery.attempts[attempt - 1];
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, retryDelaysMs[attempt - 1]));
      const outcome = await sender.post(
        body,
        previous ? { num: attempt, reason: previous.reason ?? 'unknown_error' } : undefined,
      );
      delivery.attempts.push(outcome);
      if (outcome.ok) {
        delivery.acked = true;
        delivery.ackedAt = performance.now();
        return;
      }
    }
  })();
  return delivery;
}
