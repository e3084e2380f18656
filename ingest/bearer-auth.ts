import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { KeyStore } from './key-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Name of the read or admin key the request was authorised with. */
    keyName?: string;
  }
}

/** preHandler for endpoints that take a read or admin key as `Authorization: Bearer <key>`. */
export function requireScope(keys: KeyStore, scope: 'read' | 'admin'): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const auth = request.headers.authorization;
    const key = auth && auth.slice(0, 7).toLowerCase() === 'bearer ' ? auth.slice(7).trim() : undefined;
    if (!key) {
      return reply.code(401).send({ success: false, code: 'missing_key', message: `send a ${scope} key as "Authorization: Bearer <key>"` });
    }
    const found = await keys.verifySecret(key);
    if (!found) return reply.code(401).send({ success: false, code: 'invalid_key', message: 'unknown key' });
    if (scope === 'admin' && found.scope !== 'admin') {
      return reply.code(403).send({ success: false, code: 'forbidden', message: 'this endpoint needs an admin key' });
    }
    request.keyName = found.name;
  };
}
