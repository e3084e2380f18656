import { expect, test } from 'vitest';
import { RETRY_BASE_MS, retryAfterMs, retryDelay, shouldRetry } from '../../ingest/snippet/backoff.js';

test('retried: no answer, 408, 429 and server errors; final: every other refusal, 400 above all', () => {
  for (const status of [0, 408, 429, 500, 502, 503, 504]) expect(shouldRetry(status), String(status)).toBe(true);
  for (const status of [200, 400, 401, 403, 404, 413, 415]) expect(shouldRetry(status), String(status)).toBe(false);
});

test('the wait doubles from the base up to the maximum, jittered between half and all of it', () => {
  const max = 60_000;
  const ceilings = [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000];
  ceilings.forEach((ceiling, attempt) => {
    expect(retryDelay(attempt, 0, max)).toBe(ceiling / 2);
    expect(retryDelay(attempt, 0.5, max)).toBe(ceiling * 0.75);
    expect(retryDelay(attempt, 1, max)).toBe(ceiling);
  });
  expect(retryDelay(0, 1, max)).toBe(RETRY_BASE_MS);
  // Far beyond the point where 2^n overflows a double's precision it is still the maximum.
  expect(retryDelay(5000, 1, max)).toBe(max);
});

test("a server's Retry-After is a floor, also above the maximum", () => {
  expect(retryDelay(0, 0, 60_000, 2000)).toBe(2000);
  expect(retryDelay(6, 1, 60_000, 2000)).toBe(60_000);
  expect(retryDelay(0, 0, 60_000, 120_000)).toBe(120_000);
});

test('Retry-After: seconds or an HTTP date; absent or unreadable is 0', () => {
  const now = Date.parse('2026-11-23T00:00:00Z');
  expect(retryAfterMs('2', now)).toBe(2000);
  expect(retryAfterMs('0', now)).toBe(0);
  expect(retryAfterMs('Mon, 23 Nov 2026 00:00:30 GMT', now)).toBe(30_000);
  expect(retryAfterMs('Sun, 22 Nov 2026 23:00:00 GMT', now)).toBe(0);
  expect(retryAfterMs(null, now)).toBe(0);
  expect(retryAfterMs('', now)).toBe(0);
  expect(retryAfterMs('soon', now)).toBe(0);
  expect(retryAfterMs('-5', now)).toBe(0);
});
