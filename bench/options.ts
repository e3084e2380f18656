// The benchmark knobs, all from BENCH_* environment variables (see bench/README.md), so that
// `npm run bench` needs no arguments and a CI job can shorten or lengthen a run without editing code.

export interface BenchOptions {
  /** Which benches to run. */
  only: 'all' | 'ingest' | 'fsync' | 'plans' | 'pipeline' | 'identity' | 'identity-core' | 'jobs' | 'model' | 'audience' | 'destinations' | 'journeys' | 'freshness' | 'recommendations' | 'loyalty';
  /** Seconds of measured load per target and scenario. */
  durationSec: number;
  /** Seconds of unmeasured load before each measurement (JIT, connection set-up, Redis AOF growth). */
  warmupSec: number;
  /** Measurements per target and scenario, alternating which target goes first (noise on shared machines). */
  rounds: number;
  /** Concurrent HTTP connections of the load generator. */
  connections: number;
  /** Events per `/v1/batch` request. */
  batchSize: number;
  /** Distinct bodies cycled through per scenario (more bodies, more realistic; more memory in the generator). */
  singleBodies: number;
  batchBodies: number;
  /** Events loaded by the pipeline bench. */
  pipelineEvents: number;
  /** Events per queued load job in the pipeline bench (the API's group commit makes jobs of this order). */
  jobEvents: number;
  /** Longest wait for the pipeline to load every event. */
  pipelineTimeoutSec: number;
  /** About how many events the identity bench generates (a scenario of customers; the exact count is reported). */
  identityEvents: number;
  /** Seed of the identity bench's scenario. */
  identitySeed: number;
  /** Profile counts the jobs and customer-model benches generate data for (20 events each), one after the other. */
  jobsProfiles: number[];
  /** Profile counts the recommendations bench generates a catalogue for, one after the other. */
  recommendationsProfiles: number[];
  /** Profile counts the loyalty bench generates data for (the jobs bench's, 20 events each), one after the other. */
  loyaltyProfiles: number[];
  /** Keep the temporary data folders (for inspection) instead of deleting them. */
  keepData: boolean;
}

function num(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}; got "${raw}"`);
  return n;
}

function numList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const list = raw.split(',').map((s) => s.trim().replaceAll('_', '')).filter(Boolean).map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 100)) throw new Error(`${name} must be a comma list of integers ≥ 100; got "${raw}"`);
  return list;
}

export function benchOptions(): BenchOptions {
  const only = process.env.BENCH_ONLY ?? 'all';
  if (only !== 'all' && only !== 'ingest' && only !== 'fsync' && only !== 'plans' && only !== 'pipeline' && only !== 'identity' && only !== 'identity-core' && only !== 'jobs' && only !== 'model' && only !== 'audience' && only !== 'destinations' && only !== 'journeys' && only !== 'freshness' && only !== 'recommendations' && only !== 'loyalty') throw new Error(`BENCH_ONLY must be all, ingest, fsync, plans, pipeline, identity, identity-core, jobs, model, audience, destinations, journeys, freshness, recommendations or loyalty; got "${only}"`);
  return {
    only,
    durationSec: num('BENCH_DURATION', 10),
    warmupSec: num('BENCH_WARMUP', 2, 0),
    rounds: Math.round(num('BENCH_ROUNDS', 1)),
    connections: Math.round(num('BENCH_CONNECTIONS', 50)),
    batchSize: Math.round(num('BENCH_BATCH_SIZE', 100)),
    singleBodies: Math.round(num('BENCH_SINGLE_BODIES', 64)),
    batchBodies: Math.round(num('BENCH_BATCH_BODIES', 16)),
    pipelineEvents: Math.round(num('BENCH_PIPELINE_EVENTS', 200_000)),
    jobEvents: Math.round(num('BENCH_JOB_EVENTS', 500)),
    pipelineTimeoutSec: num('BENCH_PIPELINE_TIMEOUT', 600),
    identityEvents: Math.round(num('BENCH_IDENTITY_EVENTS', 200_000)),
    identitySeed: Math.round(num('BENCH_IDENTITY_SEED', 20260401, 0)),
    jobsProfiles: numList('BENCH_JOBS_PROFILES', [100_000, 1_000_000]),
    recommendationsProfiles: numList('BENCH_RECOMMENDATIONS_PROFILES', [100_000]),
    loyaltyProfiles: numList('BENCH_LOYALTY_PROFILES', [1_000_000]),
    keepData: process.env.BENCH_KEEP_DATA === '1' || process.env.BENCH_KEEP_DATA === 'true',
  };
}
