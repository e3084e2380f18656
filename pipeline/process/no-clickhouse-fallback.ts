import type { FastifyInstance, HTTPMethods } from 'fastify';
import { failures } from '../core/reply-schemas.js';

/**
 * Every route served only where ClickHouse is held (see process-plan.ts), with the key it takes. A process
 * that does not hold it answers these with one 503, so that a client learns where to go, while a path no
 * process serves stays a 404. A test compares this list with the routes of a process that holds ClickHouse.
 */
export const CLICKHOUSE_ROUTES: readonly { method: HTTPMethods; url: string; key: 'audience' | 'read' | 'admin' }[] = [
  { method: 'POST', url: '/v1/sql', key: 'admin' },
  { method: 'GET', url: '/v1/profiles/lookup', key: 'read' },
  { method: 'GET', url: '/v1/profiles/:profileId', key: 'read' },
  { method: 'DELETE', url: '/v1/profiles/:profileId', key: 'admin' },
  { method: 'GET', url: '/v1/profiles/:profileId/recommendations', key: 'read' },
  { method: 'GET', url: '/v1/profiles/:profileId/loyalty', key: 'read' },
  { method: 'POST', url: '/v1/profiles/:profileId/loyalty/adjustments', key: 'admin' },
  { method: 'POST', url: '/v1/identity/rebuild', key: 'admin' },
  { method: 'POST', url: '/v1/jobs/:name/run', key: 'admin' },
  { method: 'GET', url: '/v1/segments', key: 'read' },
  { method: 'POST', url: '/v1/segments', key: 'admin' },
  { method: 'POST', url: '/v1/segments/preview', key: 'admin' },
  { method: 'GET', url: '/v1/segments/:id', key: 'read' },
  { method: 'PUT', url: '/v1/segments/:id', key: 'admin' },
  { method: 'DELETE', url: '/v1/segments/:id', key: 'admin' },
  { method: 'GET', url: '/v1/segments/:id/versions', key: 'read' },
  { method: 'POST', url: '/v1/segments/:id/run', key: 'admin' },
  { method: 'GET', url: '/v1/segments/:id/members', key: 'audience' },
  { method: 'GET', url: '/v1/segments/:id/changes', key: 'audience' },
  { method: 'GET', url: '/v1/segments/:id/export', key: 'audience' },
  { method: 'GET', url: '/v1/journeys', key: 'read' },
  { method: 'POST', url: '/v1/journeys', key: 'admin' },
  { method: 'GET', url: '/v1/journeys/:id', key: 'read' },
  { method: 'PUT', url: '/v1/journeys/:id', key: 'admin' },
  { method: 'DELETE', url: '/v1/journeys/:id', key: 'admin' },
  { method: 'POST', url: '/v1/journeys/:id/pause', key: 'admin' },
  { method: 'POST', url: '/v1/journeys/:id/resume', key: 'admin' },
  { method: 'GET', url: '/v1/journeys/:id/stats', key: 'read' },
  { method: 'GET', url: '/v1/computed-traits', key: 'read' },
  { method: 'POST', url: '/v1/computed-traits', key: 'admin' },
  { method: 'POST', url: '/v1/computed-traits/preview', key: 'read' },
  { method: 'GET', url: '/v1/computed-traits/:id', key: 'read' },
  { method: 'GET', url: '/v1/computed-traits/:id/versions', key: 'read' },
  { method: 'PUT', url: '/v1/computed-traits/:id', key: 'admin' },
  { method: 'DELETE', url: '/v1/computed-traits/:id', key: 'admin' },
  { method: 'GET', url: '/v1/kpis', key: 'read' },
  { method: 'GET', url: '/v1/kpis/cohorts', key: 'read' },
  { method: 'GET', url: '/v1/kpis/channels', key: 'read' },
  { method: 'GET', url: '/v1/kpis/campaigns', key: 'read' },
  { method: 'POST', url: '/v1/campaigns/:name/costs', key: 'admin' },
  { method: 'GET', url: '/v1/campaigns/:name/costs', key: 'admin' },
  { method: 'GET', url: '/v1/alerts', key: 'admin' },
  { method: 'POST', url: '/v1/alerts', key: 'admin' },
  { method: 'GET', url: '/v1/alerts/:id', key: 'admin' },
  { method: 'PUT', url: '/v1/alerts/:id', key: 'admin' },
  { method: 'DELETE', url: '/v1/alerts/:id', key: 'admin' },
  { method: 'GET', url: '/v1/alerts/:id/versions', key: 'admin' },
  { method: 'GET', url: '/v1/alerts/:id/events', key: 'admin' },
  { method: 'POST', url: '/v1/alerts/:id/replay', key: 'admin' },
  { method: 'POST', url: '/v1/destinations', key: 'admin' },
  { method: 'GET', url: '/v1/destinations', key: 'admin' },
  { method: 'GET', url: '/v1/destinations/:id', key: 'admin' },
  { method: 'PUT', url: '/v1/destinations/:id', key: 'admin' },
  { method: 'DELETE', url: '/v1/destinations/:id', key: 'admin' },
  { method: 'POST', url: '/v1/destinations/:id/replay', key: 'admin' },
  { method: 'POST', url: '/v1/destinations/:id/pause', key: 'admin' },
  { method: 'POST', url: '/v1/destinations/:id/resume', key: 'admin' },
  { method: 'GET', url: '/v1/tracking-plans', key: 'read' },
  { method: 'POST', url: '/v1/tracking-plans', key: 'admin' },
  { method: 'GET', url: '/v1/tracking-plans/:id', key: 'read' },
  { method: 'PUT', url: '/v1/tracking-plans/:id', key: 'admin' },
  { method: 'DELETE', url: '/v1/tracking-plans/:id', key: 'admin' },
  { method: 'GET', url: '/v1/dashboard/pipeline', key: 'admin' },
  { method: 'GET', url: '/v1/dashboard/customers', key: 'admin' },
  { method: 'GET', url: '/v1/dashboard/segments', key: 'admin' },
  { method: 'GET', url: '/v1/dashboard/customer', key: 'admin' },
  { method: 'GET', url: '/v1/dashboard/data-quality', key: 'admin' },
  { method: 'GET', url: '/v1/dashboard/destinations', key: 'admin' },
  { method: 'GET', url: '/v1/tracking-plans/infer', key: 'admin' },
  { method: 'GET', url: '/v1/tracking-plans/:id/violations', key: 'read' },
  { method: 'GET', url: '/v1/lifecycle', key: 'read' },
  { method: 'GET', url: '/v1/lifecycle/transitions', key: 'read' },
  { method: 'GET', url: '/v1/value-tiers', key: 'read' },
  { method: 'GET', url: '/v1/templates', key: 'read' },
  { method: 'POST', url: '/v1/templates', key: 'admin' },
  { method: 'GET', url: '/v1/templates/:id', key: 'read' },
  { method: 'PUT', url: '/v1/templates/:id', key: 'admin' },
  { method: 'DELETE', url: '/v1/templates/:id', key: 'admin' },
  { method: 'POST', url: '/v1/templates/:id/preview', key: 'read' },
  { method: 'GET', url: '/v1/subscription-groups', key: 'read' },
  { method: 'POST', url: '/v1/subscription-groups', key: 'admin' },
  { method: 'GET', url: '/v1/subscription-groups/:id', key: 'read' },
  { method: 'PUT', url: '/v1/subscription-groups/:id', key: 'admin' },
  { method: 'DELETE', url: '/v1/subscription-groups/:id', key: 'admin' },
];

export const NO_CLICKHOUSE_MESSAGE =
  'this process does not hold the ClickHouse data (an api-only process with embedded ClickHouse); ask the process running the workers or the scheduler';

/**
 * The ClickHouse routes where this process does not hold ClickHouse: the key is checked as there (401/403
 * first, by the route's scope), then 503 `no_clickhouse`.
 */
export async function noClickHouseFallback(app: FastifyInstance): Promise<void> {
  for (const route of CLICKHOUSE_ROUTES) {
    app.route({
      method: route.method,
      url: route.url,
      config: { scope: route.key },
      schema: {
        tags: ['not served here'],
        summary: `${route.method} ${route.url}: served where ClickHouse is held`,
        description: NO_CLICKHOUSE_MESSAGE,
        response: failures(503),
      },
      handler: async (_request, reply) => reply.code(503).send({ success: false, code: 'no_clickhouse', message: NO_CLICKHOUSE_MESSAGE }),
    });
  }
}
