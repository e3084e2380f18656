import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { longTrackingUrl } from '../../ingest/short-paths.js';
import { useBoundedJsonBodies } from '../core/json-bodies.js';
import { useRouteSchemas } from '../core/route-schemas.js';
import { errorReply } from './error-handler.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';

/**
 * The HTTP face of a process, without routes: each capability brings its own (start.ts registers them), and
 * its clean-up runs when this server closes.
 */
export function createHttpServer(config: Config, log: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !config.LOG_REQUESTS }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // X-Forwarded-For names the client only when it comes from a proxy we trust (TRUST_PROXY): from
    // anyone else it is whatever the client chose to write there.
    trustProxy: config.TRUST_PROXY,
    bodyLimit: config.INGEST_MAX_BATCH_BYTES,
    // Graceful shutdown: requests arriving while closing get 503, in-flight ones finish.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Segment's one-letter tracking paths (/v1/t, /v1/b, ...) are routed as the long ones.
    rewriteUrl: (req) => longTrackingUrl(req.url ?? '/'),
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // Every route's conventions: JSON bodies of bounded nesting, zod schemas (fastify-type-provider-zod) and
  // the one error handler.
  useBoundedJsonBodies(app);
  useRouteSchemas(app);
  app.setErrorHandler(errorReply);
  return app;
}
