import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { KeyStore, SecretKey, SecretScope } from './key-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Name of the key the request was authorised with. */
    keyName?: string;
    /** An audience key's segments; undefined for keys that may read every segment. */
    keySegments?: string[];
  }
}

// Each scope admits the keys of its rank or higher: an admin key does everything a read key does, and a
// read key everything an audience key does.
const RANK: Record<SecretScope, number> = { audience: 1, read: 2, admin: 3 };

/** preHandler for endpoints that take a key of at least `scope` as `Authorization: Bearer <key>`. */
export function requireScope(keys: KeyStore, scope: SecretScope): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const auth = request.headers.authorization;
    const key = auth && auth.slice(0, 7).toLowerCase() === 'bearer ' ? auth.slice(7).trim() : undefined;
    if (!key) {
      return reply.code(401).send({ success: false, code: 'missing_key', message: `send a ${scope} key as "Authorization: Bearer <key>"` });
    }
    let found: SecretKey | undefined;
    try {
      found = await keys.verifySecret(key);
    } catch (err) {
      // Redis unreachable: the key is not wrong, it cannot be checked now.
      request.log.warn({ err }, 'key check failed; answering 503');
      return reply.code(503).header('retry-after', '2').send({ success: false, code: 'unavailable', message: 'the key could not be checked; retry later' });
    }
    if (!found) return reply.code(401).send({ success: false, code: 'invalid_key', message: 'unknown key' });
    if (RANK[found.scope] < RANK[scope]) {
      return reply.code(403).send({ success: false, code: 'forbidden', message: `this endpoint needs ${scope === 'admin' ? 'an admin' : `a ${scope}`} key; this is ${found.scope === 'audience' ? 'an audience' : `a ${found.scope}`} key` });
    }
    request.keyName = found.name;
    request.keySegments = found.scope === 'audience' ? found.segments : undefined;
  };
}
