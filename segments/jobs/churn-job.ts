import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { fitBgNbd } from '../models/bg-nbd.js';
import { fitGammaGamma } from '../models/gamma-gamma.js';
import { queryJobSql, runJobSql } from './job-sql.js';
import type { JobDefinition } from './jobs.js';

interface SummaryRow {
  model: 'bgnbd' | 'gamma_gamma';
  x: number | string;
  t_x: number;
  T: number;
  monetary: number;
  n: number | string;
  sample_mod: number | string;
}

/**
 * Churn and CLV: SQL summarises each profile once into churn_summaries (sql/jobs/churn-summary-snapshot.sql),
 * groups the summaries for the fit (sql/jobs/churn-summaries.sql), the BG/NBD and
 * Gamma-Gamma models are fitted here in TypeScript (segments/models/), and sql/jobs/churn.sql scores every
 * profile with the fitted parameters. The parameters go into the run's summary in job_runs.
 */
export const churnJob: JobDefinition = {
  dependsOn: ['orders'],
  table: 'churn_scores',
  async run({ clickhouse, database, config }, asOf) {
    await runJobSql(clickhouse, 'churn-summary-snapshot', database, { as_of: chTime(asOf) });
    const rows = await queryJobSql<SummaryRow>(clickhouse, 'churn-summaries', database, { as_of: chTime(asOf), max_customers: config.CHURN_FIT_MAX_CUSTOMERS });
    const sampleMod = Number(rows[0]?.sample_mod ?? 1);
    const bgnbdRows = rows.filter((r) => r.model === 'bgnbd').map((r) => ({ x: Number(r.x), tx: Number(r.t_x), T: Number(r.T), count: Number(r.n) }));
    const ggRows = rows.filter((r) => r.model === 'gamma_gamma').map((r) => ({ x: Number(r.x), mx: Number(r.monetary), count: Number(r.n) }));
    if (bgnbdRows.length === 0) return { unit: 'weeks', fitted_customers: 0, note: 'no orders before as_of: nothing to fit' };
    // A bounded search: data the model fits badly can send the optimiser off for minutes; the run then
    // reports converged: false with the best point found.
    const fitStarted = performance.now();
    const bgnbd = fitBgNbd(bgnbdRows, { maxIterations: 3000 });
    const bgnbdMs = performance.now() - fitStarted;
    const gg = ggRows.length > 0 ? fitGammaGamma(ggRows, { maxIterations: 3000 }) : undefined;
    const ggMs = performance.now() - fitStarted - bgnbdMs;
    await runJobSql(clickhouse, 'churn', database, {
      as_of: chTime(asOf),
      r: bgnbd.r,
      alpha: bgnbd.alpha,
      a: bgnbd.a,
      b: bgnbd.b,
      // Without repeat customers there is no spend model: expected values are then 0.
      p: gg?.p ?? 1,
      q: gg?.q ?? 2,
      gamma: gg?.gamma ?? 0,
      rule_k: config.CHURN_RULE_K,
      rule_floor_days: config.CHURN_RULE_FLOOR_DAYS,
      p_alive_threshold: config.CHURN_P_ALIVE_THRESHOLD,
      horizon_weeks: config.CLV_HORIZON_WEEKS,
      annual_discount: config.CLV_ANNUAL_DISCOUNT,
    });
    const rs = await clickhouse.query({
      query: `SELECT countIf(churn_flag) AS model_flagged, countIf(rule_flag) AS rule_flagged, avg(p_alive) AS mean_p_alive, sum(clv) AS total_clv
              FROM ${database}.churn_scores WHERE as_of = {as_of:DateTime64(3, 'UTC')}`,
      query_params: { as_of: chTime(asOf) },
      format: 'JSONEachRow',
    });
    const [stats] = await rs.json<Record<string, string | number>>();
    return {
      unit: 'weeks',
      fitted_customers: bgnbdRows.reduce((n, r) => n + r.count, 0),
      fit_sample: sampleMod === 1 ? 'all customers' : `1 in ${sampleMod} by profile hash`,
      distinct_summaries: bgnbdRows.length,
      bgnbd: { r: bgnbd.r, alpha: bgnbd.alpha, a: bgnbd.a, b: bgnbd.b, log_likelihood: bgnbd.logLikelihood, converged: bgnbd.converged, iterations: bgnbd.iterations, fit_ms: Math.round(bgnbdMs) },
      gamma_gamma: gg ? { p: gg.p, q: gg.q, gamma: gg.gamma, log_likelihood: gg.logLikelihood, converged: gg.converged, iterations: gg.iterations, fit_ms: Math.round(ggMs) } : null,
      model_flagged: Number(stats?.model_flagged ?? 0),
      rule_flagged: Number(stats?.rule_flagged ?? 0),
      mean_p_alive: Number(stats?.mean_p_alive ?? 0),
      total_clv: Number(stats?.total_clv ?? 0),
    };
  },
};
