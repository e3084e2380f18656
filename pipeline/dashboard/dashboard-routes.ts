import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ProfileStore } from '../../identity/profile-store.js';
import { requireScope } from '../auth/bearer-auth.js';
import type { KeyStore } from '../auth/key-store.js';
import { WEB_DIR } from '../core/web-dir.js';
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
import { projectRoot } from '../core/project-root.js';

export interface DashboardDeps {
  keys: KeyStore;
  metrics: Metrics;
  database: string;
  /** Present when this process can reach ClickHouse. */
  read: DashboardReader | undefined;
  profiles: ProfileStore | undefined;
}

const JOB_RUNS_SHOWN = 15;

const pipelineQuery = z.object({ hours: z.coerce.number().int().min(1).max(24).default(1) });
const segmentsQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(90) });
const customerQuery = z.object({
  q: z.string().trim().min(1, 'q is required').max(1024),
  type: z.enum(SEARCH_TYPES).default('auto'),
  events: z.coerce.number().int().min(0).max(200).default(50),
});

// The page loads only its own script and stylesheet and talks only to this server (no CDN, no third party).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STATIC: Record<string, { file: string; type: string }> = {
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};

function invalid(reply: FastifyReply, error: z.ZodError) {
  return reply.code(400).send({ success: false, code: 'invalid_request', message: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
}

function noClickHouse(reply: FastifyReply) {
  return reply.code(503).send({ success: false, code: 'no_clickhouse', message: 'this process does not hold the ClickHouse data; open the dashboard on the process running the workers' });
}

/**
 * The dashboard: `GET /` (an HTML shell with no data in it), its script and stylesheet, and the admin-only
 * JSON it draws from, `GET /v1/dashboard/{pipeline,customers,segments,customer}`. A browser cannot send a
 * Bearer header when it navigates, so the page asks for the admin key and sends it with each fetch.
 */
export async function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const page = readFileSync(path.join(projectRoot(), 'pipeline', 'dashboard', 'web', 'dashboard.html'), 'utf8');
  const admin = requireScope(deps.keys, 'admin');
  const db = deps.database;
  // Scoped to this plugin: a failed query answers in the API's error shape, with the reason in the log.
  app.setErrorHandler((err, request, reply) => {
    request.log.error({ err }, 'dashboard request failed');
    return reply.code(500).send({ success: false, code: 'dashboard_failed', message: (err as Error).message });
  });

  app.get('/', async (_request, reply) => {
    return reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-cache').send(page);
  });

  for (const [route, asset] of Object.entries(STATIC)) {
    app.get(route, async (request, reply) => {
      let body: Buffer;
      try {
        body = await readFile(path.join(WEB_DIR, asset.file));
      } catch (err) {
        request.log.error({ err, file: asset.file }, 'dashboard bundle missing');
        return reply.code(503).send({ success: false, code: 'not_built', message: `dist/web/${asset.file} is missing: run npm run build` });
      }
      return reply.type(asset.type).header('cache-control', 'no-cache').send(body);
    });
  }

  app.get('/v1/dashboard/pipeline', { preHandler: admin }, async (request, reply) => {
    const q = pipelineQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    if (!deps.read) return noClickHouse(reply);
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

  app.get('/v1/dashboard/customers', { preHandler: admin }, async (_request, reply) => {
    if (!deps.read) return noClickHouse(reply);
    const [profiles, rfm, churn] = await Promise.all([profileCount(deps.read, db), rfmGrid(deps.read, db), churnDistribution(deps.read, db)]);
    const body: CustomersOverview = { profiles, rfm, churn };
    return body;
  });

  app.get('/v1/dashboard/segments', { preHandler: admin }, async (request, reply) => {
    const q = segmentsQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    if (!deps.read) return noClickHouse(reply);
    return segmentSizes(deps.read, db, q.data.days, Date.now());
  });

  app.get('/v1/dashboard/customer', { preHandler: admin }, async (request, reply) => {
    const q = customerQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    if (!deps.read || !deps.profiles) return noClickHouse(reply);
    const customer = await findCustomer(deps.read, db, deps.profiles, { value: q.data.q, type: q.data.type, events: q.data.events });
    if (!customer) return reply.code(404).send({ success: false, code: 'not_found', message: `no customer matches "${q.data.q}"` });
    return customer;
  });
}
