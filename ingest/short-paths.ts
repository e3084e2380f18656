import { CALL_TYPES } from './tracking-spec.js';

/**
 * Segment's one-letter spellings of the tracking routes, which its API serves beside the long ones:
 * analytics.js (`@segment/analytics-next`) posts each call to `/v1/t`, `/v1/i`, `/v1/p`, `/v1/s`, `/v1/g` or
 * `/v1/a`, and its batching strategy and Segment's mobile SDKs post to `/v1/b`.
 */
const LONG_PATHS = new Map<string, string>([
  ...CALL_TYPES.map((type) => [`/v1/${type[0]}`, `/v1/${type}`] as const),
  ['/v1/b', '/v1/batch'],
]);

/** The request URL with a one-letter tracking path spelled out (query string kept); any other URL unchanged. */
export function longTrackingUrl(url: string): string {
  const query = url.indexOf('?');
  const long = LONG_PATHS.get(query === -1 ? url : url.slice(0, query));
  if (long === undefined) return url;
  return query === -1 ? long : long + url.slice(query);
}
