import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { requireScope } from '../../pipeline/auth/bearer-auth.js';
import type { KeyStore } from '../../pipeline/auth/key-store.js';

/**
 * The audience endpoints' preHandlers: an audience, read or admin key, and, for an audience key that names
 * its segments, only those. A marketing tool's key thus reads the audiences it syncs and nothing else: no
 * profiles, no SQL, no other segment.
 */
export function audienceAccess(keys: KeyStore): preHandlerAsyncHookHandler[] {
  const segmentAllowed: preHandlerAsyncHookHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const id = (request.params as { id?: string }).id;
    if (request.keySegments && (id === undefined || !request.keySegments.includes(id))) {
      return reply.code(403).send({ success: false, code: 'forbidden', message: `this audience key "${request.keyName}" may read segments ${request.keySegments.join(', ')} only` });
    }
  };
  return [requireScope(keys, 'audience'), segmentAllowed];
}
