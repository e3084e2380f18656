import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyBodyParser, FastifyInstance, FastifyRequest } from 'fastify';
import type { Transform } from 'node:stream';
import { oversizedBatchItems } from './batch-item-sizes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Items of a batch body over the per-event limit as sent (index → bytes); absent for small bodies. */
    oversizedItems?: Map<number, number>;
  }
}

/**
 * Tracking bodies as clients really send them: optionally gzip- or deflate-compressed. Route body limits
 * apply to the decompressed size, so a small zip bomb is refused like a large body.
 */
export function registerDecompression(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding'];
    if (!encoding || encoding === 'identity') return payload;
    let decoder: Transform;
    if (encoding === 'gzip' || encoding === 'x-gzip') decoder = createGunzip();
    else if (encoding === 'deflate') decoder = createInflate();
    else {
      const err = new Error(`unsupported Content-Encoding "${encoding}"; send gzip, deflate or none`) as Error & { statusCode: number; code: string };
      err.statusCode = 415;
      err.code = 'unsupported_encoding';
      throw err;
    }
    // Fastify compares the encoded byte count with Content-Length, and the decoded one with the body limit.
    const counted = decoder as Transform & { receivedEncodedLength: number };
    counted.receivedEncodedLength = 0;
    payload.on('data', (chunk: Buffer) => {
      counted.receivedEncodedLength += chunk.length;
    });
    return payload.pipe(decoder);
  });
}

/**
 * Every tracking body is read as JSON whatever its Content-Type says, as Segment's and RudderStack's servers
 * do: browsers send `text/plain` (sendBeacon, CORS-simple requests), RudderStack's Node SDK labels its
 * gzipped JSON `application/x-www-form-urlencoded`, and some clients send no Content-Type at all. SDKs do
 * not retry a 415, so refusing a label would lose events; a body that is not JSON is a 400 `invalid_json`.
 */
function parseEveryBodyAsJson(app: FastifyInstance, parse: FastifyBodyParser<string>): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, parse);
  // Fastify answers 415 to a Content-Type that is not `type/subtype` before any parser is asked: such a
  // header tells nothing, so the body is read as if it had none.
  app.addHook('onRequest', async (request) => {
    if (request.headers['content-type'] !== undefined && request.mediaType === undefined) delete request.raw.headers['content-type'];
  });
}

/** JSON bodies of the single-call routes, whatever their Content-Type. */
export function registerJsonBodies(app: FastifyInstance): void {
  parseEveryBodyAsJson(app, app.getDefaultJsonParser('error', 'error'));
}

/**
 * JSON parsers for `/v1/batch` that also find the items over the per-event size limit, as sent. Only bodies
 * that could hold such an item are scanned (a UTF-16 unit is at most 3 UTF-8 bytes).
 */
export function registerMeasuredBatchJson(app: FastifyInstance, maxEventBytes: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  const measured: FastifyBodyParser<string> = (request, body, done) => {
    parse(request, body, (err, value) => {
      if (!err && body.length * 3 > maxEventBytes) request.oversizedItems = oversizedBatchItems(body, maxEventBytes);
      done(err, value);
    });
  };
  parseEveryBodyAsJson(app, measured);
}
