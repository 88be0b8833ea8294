/** When to try a batch again: exponential backoff with jitter, or what the vendor asked for. */

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** The longest Retry-After honoured, so a hostile or buggy upstream cannot park the spool. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Delay before attempt `attempts + 1`: base·2^(attempts-1) capped at maxMs, then "equal
 * jitter" (half fixed, half random) so gateways that failed together do not retry together,
 * yet never retry at once.
 */
export function backoffDelay(attempts: number, backoff: Backoff, random = Math.random): number {
  const exp = backoff.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30);
  const capped = Math.min(exp, backoff.maxMs);
  return Math.round(capped / 2 + random() * (capped / 2));
}

/** Milliseconds from a Retry-After header (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
