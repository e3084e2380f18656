import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ProfileStore } from '../../identity/profile-store.js';
import { churnDistribution } from './churn-distribution.js';
import { findCustomer } from './customer-search.js';
import { dataQuality, TOP } from './data-quality.js';
import { destinationHealth, type DestinationHealthDeps } from './destination-health.js';
import { SEARCH_TYPES, type CustomersOverview, type DestinationsHealth, type PipelineHealth } from './dashboard-types.js';
import { eventRates } from './event-rates.js';
import { jobHistory } from './job-history.js';
import { loadLag } from './load-lag.js';
import { loyaltyOverview, LOYALTY_MONTHS } from './loyalty-overview.js';
import { profileCount } from './profile-count.js';
import { queueDepth } from './queue-depth.js';
import type { DashboardReader } from './reader.js';
import { rfmGrid } from './rfm-grid.js';
import { segmentSizes } from './segment-sizes.js';
import { topRecommended, TOP_RECOMMENDED } from './top-recommended.js';
import type { Metrics } from '../core/metrics.js';
import { failures } from '../core/reply-schemas.js';

export interface DashboardDeps {
  metrics: Metrics;
  database: string;
  /** SEGMENTS_TIME_ZONE: the loyalty points' months are local months. */
  timeZone: string;
  read: DashboardReader;
  profiles: ProfileStore;
  destinations: DestinationHealthDeps;
}

const JOB_RUNS_SHOWN = 15;

const pipelineQuery = z.object({ hours: z.coerce.number().int().min(1).max(24).default(1).describe('1 to 24, default 1') });
const segmentsQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(90).describe('1 to 365, default 90') });
const dataQualityQuery = z.object({ days: z.coerce.number().int().min(1).max(90).default(7).describe('1 to 90 (violations are kept 90 days), default 7') });
const customerQuery = z.object({
  q: z.string().trim().min(1, 'q is required').max(1024).describe('an email, user id, anonymous id, phone or profile id'),
  type: z.enum(SEARCH_TYPES).default('auto'),
  events: z.coerce.number().int().min(0).max(200).default(50),
});

const TAGS = ['dashboard'];
const epochMs = z.number().describe('epoch milliseconds (UTC)');
const pipelineReply = z.object({
  hours: z.number(),
  minutes: z.array(epochMs).describe('the start of each minute of the window, oldest first'),
  accepted: z.array(z.number()),
  accepted_total: z.number(),
  rejected: z.array(z.object({ reason: z.string(), counts: z.array(z.number()), total: z.number() })),
  queue: z.object({ waiting: z.number(), active: z.number(), delayed: z.number(), failed: z.number() }).nullable().describe('null where this process does not run the api role'),
  load_lag: z.object({ events: z.number(), window_minutes: z.number(), p50_ms: z.number().nullable(), p95_ms: z.number().nullable(), max_ms: z.number().nullable() }),
  jobs: z.array(
    z.object({ run_id: z.string(), job: z.string(), status: z.string(), as_of: epochMs, started_at: epochMs, finished_at: epochMs.nullable(), duration_ms: z.number().nullable(), rows: z.number(), error: z.string() }),
  ),
});
const customersReply = z.object({
  profiles: z.number(),
  rfm: z
    .object({
      as_of: epochMs.nullable(),
      customers: z.number(),
      cells: z.array(z.object({ r: z.number(), f: z.number(), customers: z.number(), revenue: z.number(), segment: z.string().describe('the RFM group of the cell') })),
    })
    .describe('the R × F grid of the latest RFM run: customers and revenue per cell, and its RFM group'),
  churn: z.object({ as_of: epochMs.nullable(), customers: z.number(), bins: z.array(z.number()), churn_flagged: z.number(), clv_total: z.number() }),
  recommendations: z
    .object({
      as_of: epochMs.nullable(),
      customers: z.number().describe('customers the snapshot holds'),
      products: z.array(
        z.object({
          product_id: z.string(),
          customers: z.number().describe('customers it is recommended to'),
          first: z.number().describe('...at rank 1'),
          personal: z.number().describe('...for their own history (bought_with or viewed), not as popular fill-in'),
        }),
      ),
    })
    .describe(`the ${TOP_RECOMMENDED} products recommended to the most customers in the latest recommendations snapshot`),
  loyalty: z
    .object({
      as_of: epochMs.nullable(),
      previous_as_of: epochMs.nullable().describe('the loyalty snapshot before it, which the change is counted from'),
      members: z.number(),
      levels: z.array(z.object({ level: z.string(), members: z.number(), change: z.number().nullable().describe('members now less members in the previous snapshot') })),
      months: z.array(z.object({ month: z.string().describe('YYYY-MM, local (SEGMENTS_TIME_ZONE)'), issued: z.number(), redeemed: z.number(), expired: z.number() })),
    })
    .describe(`members per level in the latest loyalty snapshot and their change; points issued, redeemed and expired in its ledger per month (the latest ${LOYALTY_MONTHS})`),
});
const segmentSizesReply = z.object({
  days: z.number(),
  segments: z.array(z.object({ segment_id: z.string(), name: z.string(), points: z.array(z.object({ as_of: epochMs, size: z.number() })) })),
});
const customerReply = z
  .object({
    profile_id: z.string(),
    matched: z.object({ type: z.enum(SEARCH_TYPES), value: z.string() }),
    requested_profile_id: z.string().optional(),
    identifiers: z.array(z.object({ type: z.string(), value: z.string() })),
    traits: z.array(z.object({ trait: z.string(), value: z.string(), updated_at: epochMs })),
    merges: z.array(z.record(z.string(), z.unknown())),
    segments: z.array(z.object({ segment_id: z.string(), name: z.string(), since: epochMs })),
    rfm: z
      .object({ r: z.number(), f: z.number(), m: z.number(), segment: z.string().describe('the RFM group'), recency_days: z.number(), frequency: z.number(), monetary: z.number() })
      .nullable(),
    churn: z.object({ p_alive: z.number(), churn_flag: z.number(), rule_flag: z.number(), expected_90d: z.number(), clv: z.number() }).nullable(),
    computed_traits: z.array(
      z.object({ trait_id: z.string(), name: z.string(), kind: z.string(), value: z.union([z.number(), z.string(), z.array(z.string())]).nullable(), as_of: epochMs.nullable() }),
    ),
    lifecycle: z.object({ stage: z.string(), meaning: z.string(), since: epochMs, as_of: epochMs }).nullable(),
    value_tier: z.object({ tier: z.string(), meaning: z.string(), historical_value: z.number(), predicted_value: z.number(), as_of: epochMs }).nullable(),
    recommendations: z.array(z.object({ rank: z.number(), product_id: z.string(), score: z.number(), reason: z.string() })).describe('the latest recommendations snapshot, rank 1 first'),
    loyalty: z
      .object({
        level: z.string(),
        points: z.number(),
        expiring_30d: z.number(),
        as_of: epochMs,
        entries: z.array(z.object({ kind: z.string(), points: z.number(), status: z.string(), occurred_at: epochMs })).describe('the latest 10 ledger entries, newest first'),
      })
      .nullable()
      .describe('the standing in the latest loyalty snapshot; null when it does not hold the customer'),
    events: z.array(
      z.object({
        message_id: z.string(),
        type: z.string(),
        event: z.string(),
        name: z.string(),
        timestamp: epochMs,
        order_id: z.string(),
        revenue: z.number().nullable(),
        currency: z.string(),
        properties: z.record(z.string(), z.unknown()),
      }),
    ),
  })
  .describe('identities, traits, merges, segments, RFM and churn scores, computed traits, lifecycle stage, value tier, recommendations, loyalty, and the latest events');
const example = z.object({ message_id: z.string(), payload: z.record(z.string(), z.unknown()).nullable().describe("the event's properties (traits for identify and group); null once the event is gone") });
const dataQualityReply = z.object({
  days: z.number(),
  bucket_ms: z.number().describe('an hour for windows of up to two days, a day beyond'),
  buckets: z.array(epochMs).describe('the start of each bucket, oldest first'),
  series: z.array(z.object({ plan_id: z.string(), violation: z.string(), counts: z.array(z.number()), total: z.number() })).describe('violations in accepted events, by plan and type'),
  total: z.number(),
  blocked: z.number().describe('events refused by a plan (rejected_events, reason tracking_plan)'),
  top_events: z.array(z.object({ plan_id: z.string(), type: z.string(), event: z.string(), violations: z.number(), events: z.number(), example })).describe(`the ${TOP} most offending events`),
  top_paths: z
    .array(z.object({ plan_id: z.string(), type: z.string(), event: z.string(), violation: z.string(), path: z.string(), violations: z.number(), message: z.string(), example }))
    .describe(`the ${TOP} most offending paths`),
});
const destinationsReply = z.object({
  destinations: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      format: z.string(),
      state: z.enum(['ok', 'failing', 'paused', 'disabled']),
      delivered_24h: z.number(),
      backlog: z.number().describe('jobs, each up to a batch of events, waiting or being delivered'),
      dead_letters: z.number().describe('dead-lettered deliveries'),
      failing_since: epochMs.nullable(),
      last_error: z.string().nullable(),
      last_error_at: epochMs.nullable(),
      last_delivered_at: epochMs.nullable(),
    }),
  ),
});
const answers = <T extends z.ZodType, S extends number = never>(ok: T, ...more: S[]) => ({ 200: ok, ...failures<S | 500 | 503>(...more, 500, 503) });


/**
 * The dashboard: `GET /` (an HTML shell with no data in it), its script and stylesheet, and the admin-only
 * JSON it draws from, `GET /v1/dashboard/{pipeline,customers,segments,data-quality,destinations,customer}`. A browser cannot send a
 * Bearer header when it navigates, so the page asks for the admin key and sends it with each fetch. The
 * lifecycle and value-tier panels read the customer model's own endpoints (`/v1/lifecycle`,
 * `/v1/lifecycle/transitions`, `/v1/value-tiers`, segments/customer-model/), which the admin key reads too.
 */
export async function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): Promise<void> {
  const db = deps.database;
  const typed = app.withTypeProvider<ZodTypeProvider>();
  // A failed query answers 500 `dashboard_failed` (the page shows the message), with the reason in the log.
  const config = { scope: 'admin' as const, failureCode: 'dashboard_failed' };

  typed.get(
    '/v1/dashboard/pipeline',
    {
      config,
      schema: {
        tags: TAGS,
        summary: 'Pipeline health',
        description: 'Accepted and rejected events per minute, load jobs by state, load lag, the last job runs.',
        querystring: pipelineQuery,
        response: answers(pipelineReply, 400),
      },
    },
    async (request, reply) => {
      const now = Date.now();
      const { hours } = request.query;
      const [rates, lag, jobs, queue] = await Promise.all([eventRates(deps.read, db, hours, now), loadLag(deps.read, db, now), jobHistory(deps.read, db, JOB_RUNS_SHOWN), queueDepth(deps.metrics)]);
      const body: PipelineHealth = { hours, ...rates, queue, load_lag: lag, jobs };
      return body;
    },
  );

  typed.get(
    '/v1/dashboard/customers',
    {
      config,
      schema: { tags: TAGS, summary: 'Customers overview', description: 'Profile count, the RFM grid with its RFM groups, the P(alive) histogram, the top recommended products, loyalty levels and points.', response: answers(customersReply) },
    },
    async (_request, reply) => {
      const [profiles, rfm, churn, recommendations, loyalty] = await Promise.all([
        profileCount(deps.read, db),
        rfmGrid(deps.read, db),
        churnDistribution(deps.read, db),
        topRecommended(deps.read, db),
        loyaltyOverview(deps.read, db, deps.timeZone),
      ]);
      const body: CustomersOverview = { profiles, rfm, churn, recommendations, loyalty };
      return body;
    },
  );

  typed.get(
    '/v1/dashboard/segments',
    { config, schema: { tags: TAGS, summary: 'Segment sizes over time', querystring: segmentsQuery, response: answers(segmentSizesReply, 400) } },
    async (request, reply) => {
      return segmentSizes(deps.read, db, request.query.days, Date.now());
    },
  );

  typed.get(
    '/v1/dashboard/data-quality',
    {
      config,
      schema: {
        tags: TAGS,
        summary: 'Data quality',
        description: "What tracking plans found: violations over time by plan and type, events refused, the most offending events and paths with an example payload.",
        querystring: dataQualityQuery,
        response: answers(dataQualityReply, 400),
      },
    },
    async (request) => dataQuality(deps.read, db, request.query.days, Date.now()),
  );

  typed.get(
    '/v1/dashboard/destinations',
    {
      config,
      schema: {
        tags: TAGS,
        summary: 'Event destinations',
        description: 'Per event destination: its state (ok, failing, paused, disabled), events delivered in 24 hours, backlog, dead letters and last error.',
        response: answers(destinationsReply),
      },
    },
    async () => {
      const body: DestinationsHealth = { destinations: await destinationHealth(deps.read, db, deps.destinations, Date.now()) };
      return body;
    },
  );

  typed.get(
    '/v1/dashboard/customer',
    { config, schema: { tags: TAGS, summary: 'Find a customer', querystring: customerQuery, response: answers(customerReply, 400, 404) } },
    async (request, reply) => {
      const { q, type, events } = request.query;
      const customer = await findCustomer(deps.read, db, deps.profiles, { value: q, type, events });
      if (!customer) return reply.code(404).send({ success: false, code: 'not_found', message: `no customer matches "${q}"` });
      return customer;
    },
  );
}
