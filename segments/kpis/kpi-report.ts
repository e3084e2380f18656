import type { ReportReader } from '../customer-model/report-reader.js';
import { KPI_METRICS, type KpiMetric, type KpiPeriod } from './kpi-metrics.js';

export interface KpiReportQuery {
  period: KpiPeriod;
  /** Periods starting on or after this local date (YYYY-MM-DD). */
  from?: string;
  /** Periods starting on or before this local date. */
  to?: string;
  metrics?: KpiMetric[];
  /** The figures of one dimension (`channel:google / cpc`, `value_tier:high_value`, `category:delivery`); default '' (the whole shop). */
  dimension?: string;
}

export interface KpiPeriodFigures {
  period_start: string;
  /** True for the period the run's as_of cuts: its figures cover only its start up to as_of. */
  partial: boolean;
  /** Every metric asked for; null where it has no meaning (a rate over nobody). */
  metrics: Partial<Record<KpiMetric, number | null>>;
}

export interface KpiReport {
  as_of: string | null;
  time_zone: string | null;
  period: KpiPeriod;
  dimension: string;
  periods: KpiPeriodFigures[];
}

interface LatestRun {
  asOf: string;
  timeZone: string;
}

/** The latest successful `kpis` run: its as_of as ClickHouse writes it and the time zone its periods are in. */
async function latestRun(read: ReportReader, db: string): Promise<LatestRun | undefined> {
  const [run] = await read<{ latest: string; summary: string }>(
    `SELECT max(as_of) AS latest, argMax(summary, as_of) AS summary FROM ${db}.job_runs FINAL WHERE job = 'kpis' AND status = 'succeeded' HAVING count() > 0`,
  );
  if (!run) return undefined;
  return { asOf: run.latest, timeZone: String((JSON.parse(run.summary || '{}') as { time_zone?: string }).time_zone ?? 'UTC') };
}

const iso = (chTime: string) => new Date(`${chTime.replace(' ', 'T')}Z`).toISOString();

const NEXT_PERIOD = { day: 'addDays(period_start, 1)', week: 'addDays(period_start, 7)', month: 'addMonths(period_start, 1)' } as const;

interface KpiRow {
  start: string;
  partial: number;
  dimension: string;
  metric: string;
  value: number;
}

/** The run's rows of one period kind of the dimension `q.dimension` ('one') or of every dimension of the kinds `dimensions`, oldest period first. */
async function kpiRows(read: ReportReader, db: string, run: LatestRun, q: Omit<KpiReportQuery, 'metrics'>, dimensions: 'one' | string[], metrics?: readonly string[]): Promise<KpiRow[]> {
  const dimension = dimensions === 'one' ? `dimension = {dimension:String}` : `substring(dimension, 1, position(dimension, ':')) IN {prefixes:Array(String)}`;
  return read<KpiRow>(
    `SELECT toString(period_start) AS start, dimension, metric, value,
            toDateTime64(${NEXT_PERIOD[q.period]}, 3, {tz:String}) > {as_of:DateTime64(3, 'UTC')} AS partial
     FROM ${db}.kpi_values
     WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND period = {period:String} AND ${dimension}
       ${metrics ? 'AND metric IN {metrics:Array(String)}' : ''}
       ${q.from ? 'AND period_start >= {from:Date}' : ''} ${q.to ? 'AND period_start <= {to:Date}' : ''}
     ORDER BY period_start, dimension`,
    { as_of: run.asOf, tz: run.timeZone, period: q.period, metrics, from: q.from, to: q.to, dimension: q.dimension ?? '', prefixes: dimensions === 'one' ? [] : dimensions.map((d) => `${d}:`) },
  );
}

/**
 * The figures of the latest successful `kpis` run, per period of one kind, oldest first. The run's time zone
 * (its summary) places the periods; the last period is partial when as_of falls before its end.
 */
export async function kpiReport(read: ReportReader, db: string, q: KpiReportQuery): Promise<KpiReport> {
  const run = await latestRun(read, db);
  if (!run) return { as_of: null, time_zone: null, period: q.period, dimension: q.dimension ?? '', periods: [] };
  const metrics = q.metrics ?? [...KPI_METRICS];
  const byStart = new Map<string, KpiPeriodFigures>();
  for (const r of await kpiRows(read, db, run, q, 'one', metrics)) {
    const figures = byStart.get(r.start) ?? { period_start: r.start, partial: Number(r.partial) === 1, metrics: Object.fromEntries(metrics.map((m) => [m, null])) };
    byStart.set(r.start, figures);
    figures.metrics[r.metric as KpiMetric] = Number(r.value);
  }
  return { as_of: iso(run.asOf), time_zone: run.timeZone, period: q.period, dimension: q.dimension ?? '', periods: [...byStart.values()] };
}

export interface DimensionReport<Entry> {
  as_of: string | null;
  time_zone: string | null;
  period: KpiPeriod;
  periods: { period_start: string; partial: boolean; entries: Entry[] }[];
}

/**
 * The run's figures by a dimension (`channel`, or the campaign models `last_touch` and `first_touch`), per
 * period: one entry per value of the dimension with a figure in the period, made by `entry` from its
 * dimension's kind and value and its metrics.
 */
export async function dimensionReport<Entry>(
  read: ReportReader,
  db: string,
  q: Omit<KpiReportQuery, 'metrics'>,
  kinds: string[],
  entry: (kind: string, value: string, metrics: Record<string, number>) => Entry,
): Promise<DimensionReport<Entry>> {
  const run = await latestRun(read, db);
  if (!run) return { as_of: null, time_zone: null, period: q.period, periods: [] };
  const periods = new Map<string, { partial: boolean; dims: Map<string, Record<string, number>> }>();
  for (const r of await kpiRows(read, db, run, q, kinds)) {
    const p = periods.get(r.start) ?? { partial: Number(r.partial) === 1, dims: new Map() };
    periods.set(r.start, p);
    const metrics = p.dims.get(r.dimension) ?? {};
    p.dims.set(r.dimension, metrics);
    metrics[r.metric] = Number(r.value);
  }
  return {
    as_of: iso(run.asOf),
    time_zone: run.timeZone,
    period: q.period,
    periods: [...periods].map(([start, p]) => ({
      period_start: start,
      partial: p.partial,
      entries: [...p.dims].map(([dimension, metrics]) => {
        const at = dimension.indexOf(':');
        return entry(dimension.slice(0, at), dimension.slice(at + 1), metrics);
      }),
    })),
  };
}

export interface CohortMonth {
  months_since: number;
  active_customers: number;
  share: number;
  revenue: number;
  revenue_per_customer: number;
}

export interface CohortReport {
  as_of: string | null;
  time_zone: string | null;
  cohorts: { cohort_month: string; customers: number; months: CohortMonth[] }[];
}

/** The cohorts of the latest successful `kpis` run, oldest first, each with its months from 0. */
export async function cohortReport(read: ReportReader, db: string): Promise<CohortReport> {
  const run = await latestRun(read, db);
  if (!run) return { as_of: null, time_zone: null, cohorts: [] };
  const rows = await read<{ cohort: string; customers: number } & CohortMonth>(
    `SELECT toString(cohort_month) AS cohort, customers, months_since, active_customers, share, revenue, revenue_per_customer
     FROM ${db}.kpi_cohorts WHERE as_of = {as_of:DateTime64(3, 'UTC')} ORDER BY cohort_month, months_since`,
    { as_of: run.asOf },
  );
  const cohorts = new Map<string, CohortReport['cohorts'][number]>();
  for (const r of rows) {
    const cohort = cohorts.get(r.cohort) ?? { cohort_month: r.cohort, customers: Number(r.customers), months: [] };
    cohorts.set(r.cohort, cohort);
    cohort.months.push({
      months_since: Number(r.months_since),
      active_customers: Number(r.active_customers),
      share: Number(r.share),
      revenue: Number(r.revenue),
      revenue_per_customer: Number(r.revenue_per_customer),
    });
  }
  return { as_of: iso(run.asOf), time_zone: run.timeZone, cohorts: [...cohorts.values()] };
}
