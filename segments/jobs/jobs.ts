import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { Config } from '../../pipeline/core/config.js';
import type { Logger } from '../../pipeline/core/logger.js';
import { churnJob } from './churn-job.js';
import { ordersJob } from './orders-job.js';
import { rfmJob } from './rfm-job.js';
import { traitsJob } from './traits-job.js';

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
export const JOB_NAMES = ['orders', 'rfm', 'churn', 'traits'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export const JOBS: Record<JobName, JobDefinition> = {
  orders: ordersJob,
  rfm: rfmJob,
  churn: churnJob,
  traits: traitsJob,
};
