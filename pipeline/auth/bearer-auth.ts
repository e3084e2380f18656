import type { FastifyRequest } from 'fastify';
import { KeyCheckUnavailableError } from './errors/key-check-unavailable-error.js';
import { KeyRefusedError } from './errors/key-refused-error.js';
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

const article = (scope: string) => (scope === 'admin' || scope === 'audience' ? `an ${scope}` : `a ${scope}`);

/**
 * Checks the `Authorization: Bearer <key>` of a request to a route of `scope`, and remembers who it is:
 * a key of at least that rank, and for `audience` routes an audience key that names its segments only for
 * those (the route's `:id`). A marketing tool's key thus reads the audiences it syncs and nothing else.
 */
export async function authorize(keys: KeyStore, scope: SecretScope, request: FastifyRequest): Promise<void> {
  const auth = request.headers.authorization;
  const key = auth && auth.slice(0, 7).toLowerCase() === 'bearer ' ? auth.slice(7).trim() : undefined;
  if (!key) throw new KeyRefusedError('missing_key', `send ${article(scope)} key as "Authorization: Bearer <key>"`);
  let found: SecretKey | undefined;
  try {
    found = await keys.verifySecret(key);
  } catch (err) {
    // Redis unreachable: the key is not wrong, it cannot be checked now (the error handler logs it).
    throw new KeyCheckUnavailableError({ cause: err });
  }
  if (!found) throw new KeyRefusedError('invalid_key', 'unknown key');
  if (RANK[found.scope] < RANK[scope]) {
    throw new KeyRefusedError('forbidden', `this endpoint needs ${article(scope)} key; this is ${article(found.scope)} key`);
  }
  request.keyName = found.name;
  request.keySegments = found.scope === 'audience' ? found.segments : undefined;
  if (scope === 'audience' && request.keySegments) {
    const id = (request.params as { id?: string }).id;
    if (id === undefined || !request.keySegments.includes(id)) {
      throw new KeyRefusedError('forbidden', `this audience key "${request.keyName}" may read segments ${request.keySegments.join(', ')} only`);
    }
  }
}
