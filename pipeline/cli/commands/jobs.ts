import type { Config } from '../../core/config.js';
import { ServerError } from '../../core/errors/server-error.js';
import { isEmbedded } from '../../clickhouse/client.js';
import { createLogger } from '../../core/logger.js';
import { migrate } from '../../clickhouse/migrations.js';
import { localAdminKey } from '../../auth/local-admin-key.js';
import { runningServer } from '../../core/server-info.js';
import { openClickHouse } from '../../clickhouse/open-clickhouse.js';
import { createJobRunner } from '../../../segments/jobs/job-runner.js';
import type { JobName } from '../../../segments/jobs/jobs.js';

/**
 * `cdp jobs run <orders|rfm|churn|all> [--as-of ISO]`: runs a job (and the jobs it needs) and prints its
 * JSON summary; through the running server's `POST /v1/jobs/:name/run` when one holds the data folder.
 */
export async function jobsRunCommand(config: Config, name: JobName | 'all', asOf: number | undefined): Promise<string> {
  const server = isEmbedded(config) ? runningServer(config.dataDir) : undefined;
  if (server) {
    const res = await fetch(`${server.url}/v1/jobs/${name}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${localAdminKey(config.dataDir)}` },
      body: JSON.stringify(asOf === undefined ? {} : { as_of: new Date(asOf).toISOString() }),
    });
    const body = (await res.json()) as { result?: unknown; message?: string };
    if (!res.ok) throw new ServerError(body.message ?? `the server answered ${res.status}`, res.status);
    return JSON.stringify(body.result, null, 2);
  }
  const clickhouse = await openClickHouse(config);
  try {
    await migrate(clickhouse, config.CLICKHOUSE_DATABASE);
    const runner = createJobRunner({ clickhouse, config, log: createLogger({ LOG_LEVEL: 'warn' }) });
    return JSON.stringify(await runner.run(name, asOf ?? Date.now()), null, 2);
  } finally {
    await clickhouse.close();
  }
}
