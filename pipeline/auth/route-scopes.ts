import type { onRequestAsyncHookHandler, onRouteHookHandler } from 'fastify';
import { ROUTE_SCOPES } from '../core/route-config.js';
import { authorize } from './bearer-auth.js';
import type { KeyStore } from './key-store.js';

/**
 * The one rule of who may call what, as an `onRoute` hook: every route under /v1/ must declare its
 * `config.scope` (pipeline/core/route-config.ts), or the server does not start; routes of scope audience,
 * read or admin get a key check as their first `onRequest` hook, so a refused key is answered (401/403)
 * before the body is read or validated. Write keys are the tracking routes' own business (the key may be
 * in the body), and public routes take no key.
 */
export function routeScopes(keys: KeyStore): onRouteHookHandler {
  const checks = {
    audience: (async (request) => authorize(keys, 'audience', request)) as onRequestAsyncHookHandler,
    read: (async (request) => authorize(keys, 'read', request)) as onRequestAsyncHookHandler,
    admin: (async (request) => authorize(keys, 'admin', request)) as onRequestAsyncHookHandler,
  };
  return (route) => {
    const scope = route.config?.scope;
    if (scope === undefined) {
      if (route.url.startsWith('/v1/')) throw new Error(`${route.method} ${route.url} declares no config.scope (one of ${ROUTE_SCOPES.join(', ')})`);
      return;
    }
    if (!(ROUTE_SCOPES as readonly string[]).includes(scope)) throw new Error(`${route.method} ${route.url}: unknown scope "${scope}"`);
    if (scope === 'public' || scope === 'write') return;
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [checks[scope], ...own];
  };
}
