import type { Config } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { createJobRunner } from '../../../segments/jobs/job-runner.js';
import type { JobName } from '../../../segments/jobs/jobs.js';
import { serverOrDirect } from '../server-or-direct.js';

/**
 * `cdp jobs run <job|all> [--as-of ISO]`: runs a job (and the jobs it needs) and prints its
 * JSON summary, through the running product's `POST /v1/jobs/:name/run` or on the data directly.
 */
export async function jobsRunCommand(config: Config, name: JobName | 'all', asOf: number | undefined): Promise<string> {
  const result = await serverOrDirect(config, {
    server: async (server) => (await server.call<{ result?: unknown }>('POST', `/v1/jobs/${name}/run`, asOf === undefined ? {} : { as_of: new Date(asOf).toISOString() })).result,
    direct: ({ clickhouse }) => createJobRunner({ clickhouse, config, log: createLogger({ LOG_LEVEL: 'warn' }) }).run(name, asOf ?? Date.now()),
  });
  return JSON.stringify(result, null, 2);
}
