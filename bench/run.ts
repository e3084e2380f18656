import os from 'node:os';
import { runFsyncBench } from './fsync-bench.js';
import { runIngestBench } from './ingest-bench.js';
import { runPlanBench } from './plan-bench.js';
import { benchOptions, type BenchOptions } from './options.js';
import { runIdentityBench } from './identity-bench.js';
import { runCustomerModelBench } from './customer-model-bench.js';
import { runJobsBench } from './jobs-bench.js';
import { runPipelineBench } from './pipeline-bench.js';

// `npm run bench`: the ingest bench, the fsync bench, the tracking plan bench, the pipeline bench, the identity bench, the jobs bench, the customer-model bench, the audience, destinations, journeys, freshness, recommendations and loyalty benches, one JSON document on stdout (progress and
// server logs go to stderr). Every figure stands beside its baseline from the same run, because these
// machines are shared and noisy: ratios taken side by side mean something, absolute numbers less so.
// A missed target is reported, not turned into a failing exit code; only a bench that cannot run fails.

async function main(): Promise<number> {
  const opts = benchOptions();
  const cpus = os.cpus();
  const report: Record<string, unknown> = {
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      date: new Date().toISOString(),
    },
    options: opts,
  };
  let failed = false;
  // Each bench is reported even when the other fails, with its error in place of its figures.
  const attempt = async (name: string, run: () => Promise<unknown>) => {
    try {
      report[name] = await run();
    } catch (err) {
      failed = true;
      report[name] = { error: (err as Error).stack ?? String(err) };
    }
  };
  const runs = (name: BenchOptions['only']) => opts.only === 'all' || opts.only === name;
  if (runs('ingest')) await attempt('ingest', () => runIngestBench(opts));
  if (runs('fsync')) await attempt('fsync', () => runFsyncBench(opts));
  if (runs('plans')) await attempt('plans', () => runPlanBench(opts));
  if (runs('pipeline')) await attempt('pipeline', () => runPipelineBench(opts));
  if (runs('identity')) await attempt('identity', () => runIdentityBench(opts));
  if (runs('identity-core')) await attempt('identityCore', async () => (await import('./identity-core-bench.js')).runIdentityCoreBench(opts));
  if (runs('jobs')) await attempt('jobs', () => runJobsBench(opts));
  if (runs('model')) await attempt('model', () => runCustomerModelBench(opts));
  if (runs('audience')) await attempt('audience', async () => (await import('./audience-bench.js')).runAudienceBench(opts));
  if (runs('destinations')) await attempt('destinations', async () => (await import('./destinations-bench.js')).runDestinationsBench(opts));
  if (runs('journeys')) await attempt('journeys', async () => (await import('./journeys-bench.js')).runJourneysBench(opts));
  if (runs('freshness')) await attempt('freshness', async () => (await import('./freshness-bench.js')).runFreshnessBench(opts));
  if (runs('recommendations')) await attempt('recommendations', async () => (await import('./recommendations-bench.js')).runRecommendationsBench(opts));
  if (runs('loyalty')) await attempt('loyalty', async () => (await import('./loyalty-bench.js')).runLoyaltyBench(opts));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return failed ? 1 : 0;
}

// Exit explicitly: chDB keeps native threads that would otherwise hold the process open.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
