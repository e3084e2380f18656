import type { ReportReader } from '../customer-model/report-reader.js';
import { KPI_METRICS, type KpiMetric, type KpiPeriod } from './kpi-metrics.js';

export interface KpiReportQuery {
  period: KpiPeriod;
  /** Periods starting on or after this local date (YYYY-MM-DD). */
  from?: string;
  /** Periods starting on or before this local date. */
  to?: string;
  metrics?: KpiMetric[];
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
  periods: KpiPeriodFigures[];
}

/**
 * The figures of the latest successful `kpis` run, per period of one kind, oldest first. The run's time zone
 * (its summary) places the periods; the last period is partial when as_of falls before its end.
 */
export async function kpiReport(read: ReportReader, db: string, q: KpiReportQuery): Promise<KpiReport> {
  const [run] = await read<{ latest: string | null; summary: string | null }>(
    `SELECT max(as_of) AS latest, argMax(summary, as_of) AS summary FROM ${db}.job_runs FINAL WHERE job = 'kpis' AND status = 'succeeded' HAVING count() > 0`,
  );
  if (!run?.latest) return { as_of: null, time_zone: null, period: q.period, periods: [] };
  const timeZone = String((JSON.parse(run.summary || '{}') as { time_zone?: string }).time_zone ?? 'UTC');
  const metrics = q.metrics ?? [...KPI_METRICS];
  const next = { day: 'addDays(period_start, 1)', week: 'addDays(period_start, 7)', month: 'addMonths(period_start, 1)' }[q.period];
  const rows = await read<{ start: string; partial: number; metric: KpiMetric; value: number }>(
    `SELECT toString(period_start) AS start, metric, value,
            toDateTime64(${next}, 3, {tz:String}) > {as_of:DateTime64(3, 'UTC')} AS partial
     FROM ${db}.kpi_values
     WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND period = {period:String} AND dimension = '' AND metric IN {metrics:Array(String)}
       ${q.from ? 'AND period_start >= {from:Date}' : ''} ${q.to ? 'AND period_start <= {to:Date}' : ''}
     ORDER BY period_start`,
    { as_of: run.latest, tz: timeZone, period: q.period, metrics, from: q.from, to: q.to },
  );
  const byStart = new Map<string, KpiPeriodFigures>();
  for (const r of rows) {
    const figures = byStart.get(r.start) ?? { period_start: r.start, partial: Number(r.partial) === 1, metrics: Object.fromEntries(metrics.map((m) => [m, null])) };
    byStart.set(r.start, figures);
    figures.metrics[r.metric] = Number(r.value);
  }
  return { as_of: new Date(`${run.latest.replace(' ', 'T')}Z`).toISOString(), time_zone: timeZone, period: q.period, periods: [...byStart.values()] };
}
