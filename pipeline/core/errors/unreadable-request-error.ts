import type { FastifyError } from 'fastify';
import { CdpError } from './cdp-error.js';

/**
 * A request Fastify refused before its route could look at it: a body over the route's limit (413
 * `payload_too_large`), a Content-Encoding or media type it cannot read (415 `unsupported_media_type`), a
 * body that is not JSON (400 `invalid_json`), or another fault of the request (its 4xx, `bad_request`).
 */
export class UnreadableRequestError extends CdpError {}

const JSON_ERRORS = new Set(['FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_JSON_BODY']);

/** The product's reading of an error Fastify raised for a request's own fault; undefined for anything else. */
export function unreadableRequest(err: FastifyError, bodyLimit: number | undefined): UnreadableRequestError | undefined {
  if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new UnreadableRequestError('payload_too_large', 413, `the request body is over the limit of this route (${bodyLimit} bytes)`);
  }
  if (err.statusCode === 415 || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new UnreadableRequestError('unsupported_media_type', 415, err.message);
  // Z_*: a gzip or deflate body that does not decompress.
  if (JSON_ERRORS.has(err.code) || err instanceof SyntaxError || (err.code ?? '').startsWith('Z_')) {
    return new UnreadableRequestError('invalid_json', 400, `the body is not valid JSON: ${err.message}`);
  }
  if (err.statusCode !== undefined && err.statusCode < 500) return new UnreadableRequestError('bad_request', err.statusCode, err.message);
  return undefined;
}
