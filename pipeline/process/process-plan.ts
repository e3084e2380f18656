import { isEmbedded } from '../clickhouse/client.js';
import type { Config, Role } from '../core/config.js';

/**
 * What a process runs, chosen by its roles. Every process serves health and metrics, API keys and the
 * dashboard page. Beyond that:
 *
 * - `trackingApi` (role `api`): the tracking routes (checking events against the tracking plans) and the browser snippet.
 * - `clickhouse` (roles `workers` or `scheduler`, or any role against a ClickHouse server): the migrations,
 *   then jobs, audience and webhooks, segments and membership, profiles and the identity rebuild, tracking plans' definitions, the
 *   customer model's read-outs, the dashboard's data and the SQL console. `loadWorkers` (role `workers`) loads the queue into ClickHouse;
 *   `scheduling` (role `scheduler`) runs the clocks: cron jobs, segments on their schedule, webhook deliveries.
 * - without `clickhouse`: one fallback answering those routes 503 `no_clickhouse` (no-clickhouse-fallback.ts).
 */
export interface ProcessPlan {
  trackingApi: boolean;
  clickhouse?: { loadWorkers: boolean; scheduling: boolean };
}

export function processPlan(roles: readonly Role[], config: Pick<Config, 'CLICKHOUSE_URL'>): ProcessPlan {
  const has = (role: Role) => roles.includes(role);
  // With embedded ClickHouse only one process may hold the data folder: an api-only process leaves it alone,
  // so that api processes can be added beside the one that holds it.
  const holdsClickHouse = has('workers') || has('scheduler') || !isEmbedded(config);
  return {
    trackingApi: has('api'),
    clickhouse: holdsClickHouse ? { loadWorkers: has('workers'), scheduling: has('scheduler') } : undefined,
  };
}
