/**
 * A platform refused a reply for good: where it should go no longer exists (a deleted channel or
 * thread). Thrown by an adapter's `deliver`; delivery records the reply as undeliverable with this
 * reason and never tries it again.
 */
export class UndeliverableError extends Error {
  override readonly name = 'UndeliverableError';
}

export function isUndeliverable(error: unknown): error is UndeliverableError {
  return error instanceof UndeliverableError;
}
