import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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

// Bodies are parsed as plain JSON ('ignore': a "__proto__" key becomes an ordinary own property, never a
// prototype); the event guard then refuses the one item holding such a key instead of the whole body.

/** JSON as `text/plain` too: what `navigator.sendBeacon` and CORS-simple requests send. */
export function registerPlainTextJson(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('ignore', 'ignore');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parse);
}

/**
 * JSON parsers for `/v1/batch` that also find the items over the per-event size limit, as sent. Only bodies
 * that could hold such an item are scanned (a UTF-16 unit is at most 3 UTF-8 bytes).
 */
export function registerMeasuredBatchJson(app: FastifyInstance, maxEventBytes: number): void {
  const parse = app.getDefaultJsonParser('ignore', 'ignore');
  const measured = (request: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => {
    parse(request, body, (err, value) => {
      if (!err && body.length * 3 > maxEventBytes) request.oversizedItems = oversizedBatchItems(body, maxEventBytes);
      done(err, value);
    });
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, measured);
}
