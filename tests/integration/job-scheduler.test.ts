import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { JOB_NAMES } from '../../segments/jobs/jobs.js';
import { createJobRunner } from '../../segments/jobs/job-runner.js';
import { createLogger } from '../../pipeline/core/logger.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { queuePrefix } from '../../pipeline/redis/key-names.js';

// The scheduler role runs the jobs on its cron; failed runs are recorded and counted.

let product: TestProduct;
let admin: ClickHouseClient;

beforeAll(async () => {
  // Every two seconds (BullMQ cron patterns take a seconds field), so that the test sees runs happen.
  product = await startTestProduct({ roles: ['api', 'workers', 'scheduler'], env: { JOBS_CRON: '*/2 * * * * *', JOBS_TIME_ZONE: 'Europe/Berlin' } });
  admin = createClickHouse(product.config);
});

afterAll(async () => {
  await admin?.close();
  await product?.destroy();
});

test('the scheduler registers one BullMQ job scheduler with the configured cron and time zone', async () => {
  const redis = new Redis(product.redis.options);
  const queue = new Queue('jobs', { connection: redis, prefix: queuePrefix(product.config.QUEUE_PREFIX, 'jobs') });
  try {
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: 'all-jobs', pattern: '*/2 * * * * *', tz: 'Europe/Berlin' });
  } finally {
    await queue.close();
    redis.disconnect();
  }
});

test('scheduled runs of every job appear in job_runs', async () => {
  const rows = await product.waitForRows<{ job: string }>(
    `SELECT DISTINCT job FROM job_runs FINAL WHERE status = 'succeeded' ORDER BY job`,
    (r) => r.length === JOB_NAMES.length,
    60_000,
  );
  expect(rows.map((r) => r.job)).toEqual([...JOB_NAMES].sort());
});

test('a failing run is recorded as failed with its error, and counted', async () => {
  await admin.command({ query: 'DETACH TABLE cdp.rfm_scores' });
  try {
    const res = await product.post('/v1/jobs/rfm/run', { as_of: '2020-01-01T00:00:00Z' }, { auth: `Bearer ${ADMIN_KEY}` });
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('job_failed');
  } finally {
    await admin.command({ query: 'ATTACH TABLE cdp.rfm_scores' });
  }
  const [run] = await product.sql<{ status: string; error: string }>(`SELECT status, error FROM job_runs FINAL WHERE job = 'rfm' AND as_of = '2020-01-01 00:00:00.000'`);
  expect(run!.status).toBe('failed');
  expect(run!.error).toMatch(/rfm_scores/);
  const metrics = await (await fetch(`${product.url}/metrics`)).text();
  expect(Number(/^cdp_job_runs_total\{job="rfm",status="failed"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
});

test('a process stopping in the middle of `all` finishes the job it is in and leaves the rest to the next run', async () => {
  const runner = createJobRunner({ clickhouse: admin, config: product.config, log: createLogger(product.config) });
  let asked = 0;
  const asOf = Date.parse('2021-06-01T00:00:00Z');
  // Stopping is asked before each job: the first goes on, then the process is stopping.
  const summaries = (await runner.run('all', asOf, () => asked++ > 0)) as { job: string }[];
  expect(summaries.map((s) => s.job)).toEqual([JOB_NAMES[0]]);
  const runs = await product.sql<{ job: string }>(`SELECT DISTINCT job FROM job_runs FINAL WHERE as_of = '2021-06-01 00:00:00.000'`);
  expect(runs.map((r) => r.job)).toEqual([JOB_NAMES[0]]);
});
