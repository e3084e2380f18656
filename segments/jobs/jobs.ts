import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { Config } from '../../pipeline/core/config.js';
import type { Logger } from '../../pipeline/core/logger.js';
import { churnJob } from './churn-job.js';
import { kpisJob } from './kpis-job.js';
import { lifecycleJob } from './lifecycle-job.js';
import { loyaltyJob } from './loyalty-job.js';
import { ordersJob } from './orders-job.js';
import { recommendationsJob } from './recommendations-job.js';
import { rfmJob } from './rfm-job.js';
import { traitsJob } from './traits-job.js';
import { valueTiersJob } from './value-tiers-job.js';

export interface JobContext {
  clickhouse: ClickHouseClient;
  config: Config;
  log: Logger;
  database: string;
}

export interface JobDefinition {
  /** Jobs whose output for the same as_of this one reads. */
  dependsOn: JobName[];
  /** The table it writes, one snapshot per as_of. */
  table: string;
  /** Runs the job's SQL for as_of (epoch ms); returns what to add to its summary. */
  run(ctx: JobContext, asOf: number): Promise<Record<string, unknown>>;
}

/** In dependency order: `all` runs them in this order. */
export const JOB_NAMES = ['orders', 'rfm', 'churn', 'traits', 'lifecycle', 'value_tiers', 'kpis', 'recommendations', 'loyalty'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export const JOBS: Record<JobName, JobDefinition> = {
  orders: ordersJob,
  rfm: rfmJob,
  churn: churnJob,
  traits: traitsJob,
  lifecycle: lifecycleJob,
  value_tiers: valueTiersJob,
  kpis: kpisJob,
  recommendations: recommendationsJob,
  loyalty: loyaltyJob,
};

/** Other names a job answers to, in `cdp jobs run` and `POST /v1/jobs/:name/run`. */
const JOB_ALIASES = { tiers: 'value_tiers' } as const satisfies Record<string, JobName>;
type JobAlias = keyof typeof JOB_ALIASES;

/** A name a job may be asked for by: a job, another name of one, or `all`. */
export type JobRequestName = JobName | JobAlias | 'all';
export const JOB_REQUEST_NAMES: readonly JobRequestName[] = [...JOB_NAMES, ...(Object.keys(JOB_ALIASES) as JobAlias[]), 'all'];

/** The job (or `all`) a requested name means. */
export function requestedJob(name: JobRequestName): JobName | 'all' {
  return Object.hasOwn(JOB_ALIASES, name) ? JOB_ALIASES[name as JobAlias] : (name as JobName | 'all');
}
