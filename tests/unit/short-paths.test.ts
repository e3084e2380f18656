import { expect, test } from 'vitest';
import { longTrackingUrl } from '../../ingest/short-paths.js';

test('each one-letter tracking path is spelled out, query string kept', () => {
  const urls = ['/v1/t', '/v1/i', '/v1/p', '/v1/s', '/v1/g', '/v1/a', '/v1/b', '/v1/t?x=1&y'];
  expect(urls.map(longTrackingUrl)).toEqual(['/v1/track', '/v1/identify', '/v1/page', '/v1/screen', '/v1/group', '/v1/alias', '/v1/batch', '/v1/track?x=1&y']);
});

test('every other URL is left as it is', () => {
  const urls = ['/v1/track', '/v1/x', '/v1/tr', '/v1/t/', '/v1/t/x', '/v2/t', '/t', '/', '/v1/sql?q=/v1/t', '/V1/T'];
  expect(urls.map(longTrackingUrl)).toEqual(urls);
});
