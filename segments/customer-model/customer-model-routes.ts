import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidRequestError } from '../../pipeline/core/errors/invalid-request-error.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { LIFECYCLE_STAGES, VALUE_TIERS } from '../customer-states.js';
import { type LifecycleReport, type TransitionsReport, type ValueTierReport } from './customer-model-types.js';
import { NoSnapshotError } from './errors/no-snapshot-error.js';
import { stageCounts, stageTransitions } from './lifecycle-report.js';
import type { ReportReader } from './report-reader.js';
import { standingSnapshots } from './standing-snapshot.js';
import { valueTierFigures } from './value-tier-report.js';

export interface CustomerModelRouteDeps {
  read: ReportReader;
  database: string;
  /** SEGMENTS_TIME_ZONE: the zone of bare dates. */
  timeZone: string;
}

const TAGS = ['customer model'];

// The span every date type of the jobs can hold, as for event times.
const SPAN = { from: Date.UTC(1970, 0, 1), to: Date.UTC(2100, 0, 1) };
const pointInTime = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be an ISO 8601 date (a day in SEGMENTS_TIME_ZONE) or a date-time with an offset, e.g. 1997-10-01 or 1997-10-01T00:00:00Z',
  })
  .refine((value) => {
    const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    return ms >= SPAN.from && ms < SPAN.to;
  }, 'must be from 1970 to 2099');
const asOfQuery = z.strictObject({
  as_of: pointInTime.optional().describe('a date (its end, in SEGMENTS_TIME_ZONE) or an instant; the snapshot standing then is read. Default: the latest'),
});
const transitionsQuery = z.strictObject({
  from: pointInTime.describe('a date (its end, in SEGMENTS_TIME_ZONE) or an instant'),
  to: pointInTime.describe('the same, not before from'),
});

const asOf = z.string().describe('the as_of of the snapshot read');
const stage = z.enum(LIFECYCLE_STAGES);
const lifecycleReply = success({
  as_of: asOf.nullable().describe('the as_of of the snapshot read; null (and every count 0) before the lifecycle job first ran'),
  first_as_of: asOf.nullable().describe('the first lifecycle snapshot: the earliest date a transition matrix can start from'),
  stages: z.array(z.object({ stage, meaning: z.string().describe('潜在 / 新 / 成熟 / 衰退 / 流失'), profiles: z.number() })).describe('every stage, in lifecycle order'),
});
const transitionsReply = success({
  from_as_of: asOf,
  to_as_of: asOf,
  transitions: z
    .array(
      z.object({
        from_stage: z.union([stage, z.literal('')]).describe("'' for profiles the from snapshot does not hold"),
        to_stage: z.union([stage, z.literal('')]).describe("'' for profiles the to snapshot no longer holds (merged or deleted)"),
        profiles: z.number(),
      }),
    )
    .describe('every pair of stages, 0 when no profile moved so'),
  reactivated: z.number().describe('profiles that went from lost or at_risk back to active or new in a snapshot after from, up to to'),
});
const tierCounts = z.record(z.enum(VALUE_TIERS), z.number());
const valueTierReply = success({
  as_of: asOf.nullable().describe('the as_of of the snapshot read; null (and every figure 0) before the value_tiers job first ran'),
  tiers: z
    .array(
      z.object({
        tier: z.enum(VALUE_TIERS),
        meaning: z.string().describe('高价值 / 潜力 / 一般 / 低价值'),
        profiles: z.number(),
        revenue: z.number().describe('the sum of their historical value'),
        mean_predicted_value: z.number().nullable().describe('the mean of their predicted value (CLV); null for an empty tier'),
      }),
    )
    .describe('every tier, from the most valuable'),
  grid: z
    .array(
      z.object({
        historical_quintile: z.number().describe('5: the top fifth of historical value, 1: the bottom fifth'),
        predicted_quintile: z.number().describe('5: the top fifth of predicted value, 1: the bottom fifth'),
        profiles: z.number(),
        revenue: z.number(),
        tiers: tierCounts.describe('profiles of the cell in each tier'),
      }),
    )
    .describe('the 25 cells of historical × predicted value quintiles, from the stored ranks'),
});

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

/**
 * The customer model's read-outs (read key): `GET /v1/lifecycle?as_of=` (profiles per lifecycle stage),
 * `GET /v1/lifecycle/transitions?from=&to=` (the matrix between two snapshots) and `GET /v1/value-tiers?as_of=`
 * (figures per tier and the historical × predicted grid), each from the snapshot standing at the date asked.
 */
export async function customerModelRoutes(app: FastifyInstance, deps: CustomerModelRouteDeps): Promise<void> {
  const { read, database: db, timeZone } = deps;
  const typed = app.withTypeProvider<ZodTypeProvider>();

  /** The snapshot standing at `at` (the latest when undefined); an explicit date with none standing is refused. */
  async function standing(job: string, at: string | undefined): Promise<{ asOfMs: number | null; first: number | null }> {
    const { points, first } = await standingSnapshots(read, db, job, [at], timeZone);
    const asOfMs = points[0]!.asOf;
    if (asOfMs === null && at !== undefined) throw new NoSnapshotError(job, 'as_of', at, isoOrNull(first));
    return { asOfMs, first };
  }

  typed.get(
    '/v1/lifecycle',
    {
      config: { scope: 'read' },
      schema: {
        tags: TAGS,
        summary: 'Profiles per lifecycle stage',
        description: 'From the lifecycle snapshot standing at `as_of`: the latest successful one not after it. 400 `no_snapshot` when none stands then.',
        querystring: asOfQuery,
        response: { 200: lifecycleReply, ...failures(400, 500, 503) },
      },
    },
    async (request) => {
      const { asOfMs, first } = await standing('lifecycle', request.query.as_of);
      const body: LifecycleReport = { success: true, as_of: isoOrNull(asOfMs), first_as_of: isoOrNull(first), stages: await stageCounts(read, db, asOfMs) };
      return body;
    },
  );

  typed.get(
    '/v1/lifecycle/transitions',
    {
      config: { scope: 'read' },
      schema: {
        tags: TAGS,
        summary: 'Lifecycle transitions between two dates',
        description:
          'Profiles per (from_stage, to_stage) between the lifecycle snapshots standing at `from` and at `to`, and the profiles reactivated in between. 400 `invalid_request` when from is after to, `no_snapshot` when no snapshot stands at one of them.',
        querystring: transitionsQuery,
        response: { 200: transitionsReply, ...failures(400, 500, 503) },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      const { points, first } = await standingSnapshots(read, db, 'lifecycle', [from, to], timeZone);
      const [f, t] = [points[0]!, points[1]!];
      if (f.bound! > t.bound!) throw new InvalidRequestError(`from (${from}) is after to (${to})`);
      if (f.asOf === null) throw new NoSnapshotError('lifecycle', 'from', from, isoOrNull(first));
      if (t.asOf === null) throw new NoSnapshotError('lifecycle', 'to', to, isoOrNull(first));
      const body: TransitionsReport = { success: true, from_as_of: iso(f.asOf), to_as_of: iso(t.asOf), ...(await stageTransitions(read, db, f.asOf, t.asOf)) };
      return body;
    },
  );

  typed.get(
    '/v1/value-tiers',
    {
      config: { scope: 'read' },
      schema: {
        tags: TAGS,
        summary: 'Value tiers',
        description:
          'From the value-tier snapshot standing at `as_of`: profiles, revenue (historical value) and mean predicted value per tier, and the grid of historical × predicted value quintiles with the tier mix of each cell. 400 `no_snapshot` when none stands then.',
        querystring: asOfQuery,
        response: { 200: valueTierReply, ...failures(400, 500, 503) },
      },
    },
    async (request) => {
      const { asOfMs } = await standing('value_tiers', request.query.as_of);
      const body: ValueTierReport = { success: true, as_of: isoOrNull(asOfMs), ...(await valueTierFigures(read, db, asOfMs)) };
      return body;
    },
  );
}
