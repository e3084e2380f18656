// Getting a body to the tracking API: fetch while the page lives, sendBeacon as it goes away.

export interface Answer {
  /** HTTP status; 0 when the request did not get an answer (offline, API down, CORS refused). */
  status: number;
  retryAfter: string | null;
  body: string;
}

/**
 * POSTs JSON as text/plain with the write key in the body: a CORS "simple" request, so no preflight
 * round trip precedes every batch.
 */
export async function post(url: string, body: string): Promise<Answer> {
  try {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' }, credentials: 'omit' });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
  } catch {
    return { status: 0, retryAfter: null, body: '' };
  }
}

/** Hands the body to the browser to deliver after the page is gone; false when it refused (size quota, no support). */
export function beacon(url: string, body: string): boolean {
  try {
    return typeof navigator.sendBeacon === 'function' && navigator.sendBeacon(url, body);
  } catch {
    return false;
  }
}
