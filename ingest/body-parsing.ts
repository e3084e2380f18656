import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Transform } from 'node:stream';

/**
 * Tracking bodies as clients really send them: JSON as `application/json`, or as `text/plain` (what
 * `navigator.sendBeacon` and CORS-simple requests send), optionally gzip- or deflate-compressed.
 * Route body limits apply to the decompressed size, so a small zip bomb is refused like a large body.
 */
export function registerTrackingBodyParsing(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, parseJson);

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
