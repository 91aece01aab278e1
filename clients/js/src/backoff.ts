// Jittered exponential backoff for retries after retryable failures.

/** Backoff tuning: first delay and cap, in milliseconds. */
export interface BackoffOptions {
  /** Delay before the first retry (default 500 ms). */
  initialMs?: number;
  /** Largest delay (default 30 s). */
  maxMs?: number;
}

/**
 * Delay before retry number `attempt` (0-based): `min(max, initial * 2^attempt)`
 * scaled by a random factor in [0.5, 1) ("equal jitter"), so many clients
 * that failed together do not come back together.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + random() / 2));
}
