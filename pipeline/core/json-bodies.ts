import type { FastifyInstance } from 'fastify';
import { CdpError } from './errors/cdp-error.js';
import { MAX_BODY_NESTING_DEPTH, nestsDeeperThan } from './nesting-depth.js';

/**
 * JSON request bodies of every route that does not read its own (the tracking routes do, item by item):
 * Fastify's parser (a `__proto__` key is refused), then a bound on nesting, answered 400 `too_deep` before
 * any schema or handler walks the body.
 */
export function useBoundedJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, body as string, (err, value) => {
      if (err) return done(err);
      if (nestsDeeperThan(value, MAX_BODY_NESTING_DEPTH)) {
        return done(new CdpError('too_deep', 400, `the body's objects and arrays may be nested at most ${MAX_BODY_NESTING_DEPTH} levels deep`));
      }
      done(null, value);
    });
  });
}
