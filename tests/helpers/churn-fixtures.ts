import { expect } from 'vitest';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { TestProduct } from './test-product.js';

// Churn snapshots written as fixtures, for the jobs that read them (lifecycle stages, value tiers): the
// columns those jobs read are given, the rest plausible; a snapshot counts only once job_runs records its run.

const ch = (iso: string) => chTime(Date.parse(iso));

/** One churn_scores row of a snapshot as of `asOf` (ISO). */
export function churnScore(asOf: string, profileId: string | undefined, fields: { rule_flag?: number; churn_flag?: number; clv?: number }) {
  const { rule_flag = 0, churn_flag = 0, clv = 0 } = fields;
  return {
    as_of: ch(asOf), profile_id: profileId, x: 1, t_x: 1, T: 10, monetary: 10, days_since_last: 1, median_interval_days: null, rule_threshold_days: 30,
    rule_flag, p_alive: churn_flag ? 0.1 : 0.9, expected_30d: 0, expected_90d: 0, expected_value: 0, clv, churn_flag,
  };
}

/** job_runs rows for churn runs as of each ISO date, with their status. */
export async function recordChurnRuns(clickhouse: ClickHouseClient, database: string, runs: readonly (readonly [string, 'succeeded' | 'failed'])[]): Promise<void> {
  await clickhouse.insert({
    table: `${database}.job_runs`,
    format: 'JSONEachRow',
    values: runs.map(([asOf, status], i) => ({ run_id: `fixture-churn-${i}`, job: 'churn', as_of: ch(asOf), started_at: ch(asOf), finished_at: ch(asOf), status, rows: 0, error: '', summary: '{}', version: 2 })),
  });
}

/** Runs a job through `POST /v1/jobs/:name/run` and answers its summary. */
export async function runJobThroughApi(product: TestProduct, adminKey: string, name: string, asOf: string) {
  const res = await product.post(`/v1/jobs/${name}/run`, { as_of: asOf }, { auth: `Bearer ${adminKey}` });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.result;
}
