import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Transform } from 'node:stream';

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
 * It is parsed as plain JSON ('ignore': a "__proto__" key becomes an ordinary own property, never a
 * prototype), so that the event guard refuses the one item holding such a key instead of the whole body;
 * the per-event size limit is applied there too, to each event as parsed.
 */
export function registerJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, app.getDefaultJsonParser('ignore', 'ignore'));
  // Fastify answers 415 to a Content-Type that is not `type/subtype` before any parser is asked: such a
  // header tells nothing, so the body is read as if it had none.
  app.addHook('onRequest', async (request) => {
    if (request.headers['content-type'] !== undefined && request.mediaType === undefined) delete request.raw.headers['content-type'];
  });
}
