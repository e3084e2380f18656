// When to send again after a failed attempt.

export const RETRY_BASE_MS = 1000;

/** Network errors (status 0), timeouts, rate limits and server errors are worth retrying; other answers are final. */
export function shouldRetry(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds from `now`; 0 when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number {
  if (!header) return 0;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - now) : 0;
}

/**
 * Exponential backoff with equal jitter: retry n (from 0) waits between half and all of min(max, base × 2^n),
 * so visitors of one site do not come back in lockstep after an outage, yet the wait still grows. A server's
 * Retry-After is a floor.
 */
export function retryDelay(attempt: number, random: number, maxDelayMs: number, retryAfter = 0): number {
  const cap = Math.min(maxDelayMs, RETRY_BASE_MS * 2 ** Math.min(attempt, 30));
  return Math.max(retryAfter, cap / 2 + (random * cap) / 2);
}
