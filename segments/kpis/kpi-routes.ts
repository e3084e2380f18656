import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidRequestError } from '../../pipeline/core/errors/invalid-request-error.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import type { ReportReader } from '../customer-model/report-reader.js';
import { KPI_METRICS, KPI_PERIODS } from './kpi-metrics.js';
import { cohortReport, dimensionReport, kpiReport } from './kpi-report.js';

export interface KpiRouteDeps {
  read: ReportReader;
  database: string;
}

const localDate = z.iso.date({ error: 'must be a date, YYYY-MM-DD (a local day in the time zone of the KPIs)' });
const periodFields = {
  period: z.enum(KPI_PERIODS).default('month').describe('day, week (from Monday) or month, in KPI_TIME_ZONE'),
  from: localDate.optional().describe('periods starting on or after this date'),
  to: localDate.optional().describe('periods starting on or before this date'),
};
const periodQuery = z.strictObject(periodFields);
const kpiQuery = z.strictObject({
  ...periodFields,
  dimension: z
    .string()
    .max(300)
    .optional()
    .describe("one dimension's figures: `channel:<channel>`, `value_tier:<tier>` (NPS), `category:<category>` (complaints); default: the whole shop"),
  metrics: z
    .string()
    .optional()
    .describe(`a comma-separated list of ${KPI_METRICS.join(', ')}; default: all`),
});

const metricValues = z.partialRecord(z.enum(KPI_METRICS), z.number().nullable());
const kpiReply = success({
  as_of: z.string().nullable().describe('the as_of of the kpis run read (the latest successful one); null before the first'),
  time_zone: z.string().nullable().describe('the time zone of its periods'),
  period: z.enum(KPI_PERIODS),
  dimension: z.string().describe("the dimension asked for; '' for the whole shop"),
  periods: z
    .array(
      z.object({
        period_start: z.string().describe('the local date the period starts on'),
        partial: z.boolean().describe('true for the period as_of cuts: it covers only its start up to as_of'),
        metrics: metricValues.describe('each metric asked for; null where it has no meaning (a rate over nobody)'),
      }),
    )
    .describe('oldest first, from the period of the first counted order'),
});

const cohortReply = success({
  as_of: z.string().nullable().describe('the as_of of the kpis run read; null before the first'),
  time_zone: z.string().nullable(),
  cohorts: z
    .array(
      z.object({
        cohort_month: z.string().describe('the month (its first day) of the cohort customers\' first order'),
        customers: z.number().describe('the cohort\'s size'),
        months: z
          .array(
            z.object({
              months_since: z.number().describe('0: the first order\'s month, up to 11'),
              active_customers: z.number().describe('customers of the cohort with an order in that month'),
              share: z.number().describe('active_customers ÷ customers'),
              revenue: z.number(),
              revenue_per_customer: z.number().describe('revenue ÷ customers'),
            }),
          )
          .describe('from 0, up to as_of\'s month'),
      }),
    )
    .describe('oldest first'),
});

const figure = z.number().nullable();
/** A reply of periods, each with entries by a dimension. */
const periodsOf = (entry: z.ZodType, what: string) =>
  success({
    as_of: z.string().nullable().describe('the as_of of the kpis run read; null before the first'),
    time_zone: z.string().nullable(),
    period: z.enum(KPI_PERIODS),
    periods: z
      .array(z.object({ period_start: z.string(), partial: z.boolean().describe('true for the period as_of cuts'), entries: z.array(entry).describe(what) }))
      .describe('oldest first; periods without figures are left out'),
  });
const channelReply = periodsOf(
  z.object({
    channel: z.string().describe("the first touch: `<campaign source> / <campaign medium>` of the customer's earliest event, `(direct)` with neither"),
    buyers: z.number(),
    revenue: z.number(),
    mean_clv: figure.describe('the mean CLV of those buyers in the churn snapshot standing at as_of; null without one'),
    nps: figure.describe("the NPS of the channel's customers who answered in the period; null without an answer"),
    nps_answers: z.number(),
  }),
  'one per channel with buyers or NPS answers in the period',
);
const campaignReply = periodsOf(
  z.object({
    campaign: z.string(),
    model: z.enum(['last_touch', 'first_touch']).describe('the latest (earliest) campaign touch within ATTRIBUTION_WINDOW_DAYS before each order'),
    orders: z.number(),
    revenue: z.number(),
    cost: figure.describe('the costs posted for the period; null without any'),
    cost_per_order: figure,
    roi: figure.describe('(revenue − cost) ÷ cost'),
  }),
  'one per campaign and model with orders or costs in the period',
);

/** Fails a route with the checks the period queries share. */
function checkRange(from: string | undefined, to: string | undefined): void {
  if (from && to && from > to) throw new InvalidRequestError('from is after to');
}

/** `GET /v1/kpis`, `/v1/kpis/cohorts`, `/v1/kpis/channels`, `/v1/kpis/campaigns` (read key): from the latest successful `kpis` run. */
export async function kpiRoutes(app: FastifyInstance, deps: KpiRouteDeps): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/v1/kpis',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['decision board'],
        summary: 'Retail KPIs per period',
        description: 'Orders, revenue, aov, buyers, new buyers and the rates, per day, week or month, from the latest successful `kpis` job run.',
        querystring: kpiQuery,
        response: { 200: kpiReply, ...failures(400, 500, 503) },
      },
    },
    async (request) => {
      const { period, from, to, metrics, dimension } = request.query;
      const listed = metrics?.split(',').map((m) => m.trim()).filter(Boolean);
      const asked = listed && listed.length > 0 ? listed : undefined;
      const unknown = asked?.filter((m) => !(KPI_METRICS as readonly string[]).includes(m)) ?? [];
      if (unknown.length > 0) throw new InvalidRequestError(`unknown metrics: ${unknown.join(', ')}; known: ${KPI_METRICS.join(', ')}`);
      checkRange(from, to);
      const report = await kpiReport(deps.read, deps.database, { period, from, to, dimension, metrics: asked as (typeof KPI_METRICS)[number][] | undefined });
      return { success: true as const, ...report };
    },
  );

  typed.get(
    '/v1/kpis/cohorts',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['decision board'],
        summary: 'Customer cohorts by first order month',
        description: 'For each month of first orders, the share of its customers ordering in each of the 12 months from it, and the revenue per cohort customer, from the latest successful `kpis` run.',
        querystring: z.strictObject({}),
        response: { 200: cohortReply, ...failures(400, 500, 503) },
      },
    },
    async () => ({ success: true as const, ...(await cohortReport(deps.read, deps.database)) }),
  );

  typed.get(
    '/v1/kpis/channels',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['decision board'],
        summary: 'Buyers, revenue and mean CLV per first-touch channel',
        querystring: periodQuery,
        response: { 200: channelReply, ...failures(400, 500, 503) },
      },
    },
    async (request) => {
      const { period, from, to } = request.query;
      checkRange(from, to);
      const report = await dimensionReport(deps.read, deps.database, { period, from, to }, ['channel'], (_kind, channel, m) => ({
        channel,
        buyers: m.buyers ?? 0,
        revenue: m.revenue ?? 0,
        mean_clv: m.mean_clv ?? null,
        nps: m.nps ?? null,
        nps_answers: m.nps_answers ?? 0,
      }));
      return { success: true as const, ...report };
    },
  );

  typed.get(
    '/v1/kpis/campaigns',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['decision board'],
        summary: 'Orders, revenue, costs and ROI per campaign (last and first touch)',
        querystring: periodQuery,
        response: { 200: campaignReply, ...failures(400, 500, 503) },
      },
    },
    async (request) => {
      const { period, from, to } = request.query;
      checkRange(from, to);
      const report = await dimensionReport(deps.read, deps.database, { period, from, to }, ['last_touch', 'first_touch'], (model, campaign, m) => ({
        campaign,
        model: model as 'last_touch' | 'first_touch',
        orders: m.orders ?? 0,
        revenue: m.revenue ?? 0,
        cost: m.cost ?? null,
        cost_per_order: m.cost_per_order ?? null,
        roi: m.roi ?? null,
      }));
      return { success: true as const, ...report };
    },
  );
}
