/** What one attempt's answer means for the delivery. */
export type AttemptVerdict = 'delivered' | 'retry' | 'dead_letter' | 'gone';

/** 2xx delivered; 410 gone; 408, 429 and 5xx (and no answer: status undefined) retried; any other status is final. */
export function verdictOf(status: number | undefined): AttemptVerdict {
  if (status === undefined) return 'retry';
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 410) return 'gone';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'dead_letter';
}

/** A Retry-After header in ms (seconds, or an HTTP date), or undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The wait before attempt `attempt + 1`: base × 2^(attempt − 1) with ±20 % jitter, capped, and never less
 * than what the receiver asked for with Retry-After (itself capped at an hour).
 */
export function retryDelay(attempt: number, base: number, max: number, retryAfter: number | undefined): number {
  const backoff = Math.min(max, base * 2 ** Math.min(attempt - 1, 30)) * (0.8 + Math.random() * 0.4);
  return Math.round(Math.max(backoff, Math.min(retryAfter ?? 0, 3600 * 1000)));
}
