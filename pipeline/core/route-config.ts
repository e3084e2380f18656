/**
 * Who may call a route, declared by every route as `config: { scope }`:
 * - `public`: anyone (health, metrics, the browser script, the dashboard's page, the API reference);
 * - `write`: a write key (the tracking routes, which check it themselves: it may come in the body);
 * - `audience`: an audience, read or admin key, an audience key only for the segments it names (the route's
 *   `:id` is a segment id);
 * - `read`: a read or admin key;
 * - `admin`: an admin key.
 * pipeline/auth/route-scopes.ts checks the last three before anything else runs; the API reference shows
 * each route's scope as its security.
 */
export const ROUTE_SCOPES = ['public', 'write', 'audience', 'read', 'admin'] as const;
export type RouteScope = (typeof ROUTE_SCOPES)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
    /** The `code` of this route's 500 answers (default `internal_error`), e.g. `dashboard_failed`. */
    failureCode?: string;
    /** The message of this route's 500 answers (default the error's own). */
    failureMessage?: string;
  }
}
