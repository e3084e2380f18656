import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ProfileStore } from '../../identity/profile-store.js';
import { requireScope } from '../auth/bearer-auth.js';
import type { KeyStore } from '../auth/key-store.js';
import { churnDistribution } from './churn-distribution.js';
import { findCustomer } from './customer-search.js';
import { SEARCH_TYPES, type CustomersOverview, type PipelineHealth } from './dashboard-types.js';
import { eventRates } from './event-rates.js';
import { jobHistory } from './job-history.js';
import { loadLag } from './load-lag.js';
import { profileCount } from './profile-count.js';
import { queueDepth } from './queue-depth.js';
import type { DashboardReader } from './reader.js';
import { rfmGrid } from './rfm-grid.js';
import { segmentSizes } from './segment-sizes.js';
import type { Metrics } from '../core/metrics.js';

export interface DashboardDeps {
  keys: KeyStore;
  metrics: Metrics;
  database: string;
  read: DashboardReader;
  profiles: ProfileStore;
}

const JOB_RUNS_SHOWN = 15;

const pipelineQuery = z.object({ hours: z.coerce.number().int().min(1).max(24).default(1) });
const segmentsQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(90) });
const customerQuery = z.object({
  q: z.string().trim().min(1, 'q is required').max(1024),
  type: z.enum(SEARCH_TYPES).default('auto'),
  events: z.coerce.number().int().min(0).max(200).default(50),
});

function invalid(reply: FastifyReply, error: z.ZodError) {
  return reply.code(400).send({ success: false, code: 'invalid_request', message: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
}

/**
 * The admin-only JSON the dashboard page (dashboard-page-routes.ts) draws from,
 * `GET /v1/dashboard/{pipeline,customers,segments,customer}`.
 */
export async function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const admin = requireScope(deps.keys, 'admin');
  const db = deps.database;
  // Scoped to this plugin: a failed query answers in the API's error shape, with the reason in the log.
  app.setErrorHandler((err, request, reply) => {
    request.log.error({ err }, 'dashboard request failed');
    return reply.code(500).send({ success: false, code: 'dashboard_failed', message: (err as Error).message });
  });

  app.get('/v1/dashboard/pipeline', { preHandler: admin }, async (request, reply) => {
    const q = pipelineQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    const now = Date.now();
    const [rates, lag, jobs, queue] = await Promise.all([
      eventRates(deps.read, db, q.data.hours, now),
      loadLag(deps.read, db, now),
      jobHistory(deps.read, db, JOB_RUNS_SHOWN),
      queueDepth(deps.metrics),
    ]);
    const body: PipelineHealth = { hours: q.data.hours, ...rates, queue, load_lag: lag, jobs };
    return body;
  });

  app.get('/v1/dashboard/customers', { preHandler: admin }, async () => {
    const [profiles, rfm, churn] = await Promise.all([profileCount(deps.read, db), rfmGrid(deps.read, db), churnDistribution(deps.read, db)]);
    const body: CustomersOverview = { profiles, rfm, churn };
    return body;
  });

  app.get('/v1/dashboard/segments', { preHandler: admin }, async (request, reply) => {
    const q = segmentsQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    return segmentSizes(deps.read, db, q.data.days, Date.now());
  });

  app.get('/v1/dashboard/customer', { preHandler: admin }, async (request, reply) => {
    const q = customerQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    const customer = await findCustomer(deps.read, db, deps.profiles, { value: q.data.q, type: q.data.type, events: q.data.events });
    if (!customer) return reply.code(404).send({ success: false, code: 'not_found', message: `no customer matches "${q.data.q}"` });
    return customer;
  });
}
