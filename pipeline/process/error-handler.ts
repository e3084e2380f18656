import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CdpError } from '../core/errors/cdp-error.js';
import { unreadableRequest } from '../core/errors/unreadable-request-error.js';

/**
 * The one error handler of the HTTP server. A CdpError answers its own status and code,
 * `{ success: false, code, message, ...reply }` (requests that do not fit their route's schemas arrive here
 * as CdpErrors too, made by the routes' schema error formatters); a request Fastify could not read answers
 * 413 `payload_too_large`, 415 `unsupported_media_type`, 400 `invalid_json` or its 4xx `bad_request`;
 * anything else is a 500, logged, with the route's `failureCode` (default `internal_error`).
 */
export function errorReply(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = err instanceof CdpError ? err : unreadableRequest(err, request.routeOptions.bodyLimit);
  if (known) {
    if (known.statusCode >= 500) request.log.warn({ err }, 'request failed');
    return reply
      .code(known.statusCode)
      .headers(known.headers)
      .send({ success: false, code: known.code, message: known.message, ...known.reply });
  }
  request.log.error({ err }, 'request failed');
  const config = request.routeOptions.config;
  return reply.code(500).send({ success: false, code: config.failureCode ?? 'internal_error', message: config.failureMessage ?? err.message });
}
