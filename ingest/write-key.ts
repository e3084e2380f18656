import type { FastifyRequest } from 'fastify';

/**
 * The write key as Segment clients send it: HTTP Basic auth with the key as user name and an empty
 * password (server SDKs), or `writeKey` in the JSON body (browsers using sendBeacon cannot set headers).
 */
export function writeKeyFrom(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (auth && auth.length > 6 && auth.slice(0, 6).toLowerCase() === 'basic ') {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    const user = sep === -1 ? decoded : decoded.slice(0, sep);
    if (user) return user;
  }
  const body = request.body as { writeKey?: unknown } | null | undefined;
  if (body && typeof body === 'object' && typeof body.writeKey === 'string' && body.writeKey) return body.writeKey;
  return undefined;
}
