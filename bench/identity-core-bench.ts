import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extractIdentifiers } from '../identity/identifiers.js';
import { identityRules } from '../identity/identity-rules.js';
import { candidateProfileId, createResolver, type ResolveInput } from '../identity/resolver.js';
import { createSuppressionHasher } from '../identity/suppression-hash.js';
import { createLogger } from '../pipeline/core/logger.js';
import { closeRedis, redisFor, resolveRedis, type RedisClient } from '../pipeline/redis/connection.js';
import { redisKeyNames } from '../pipeline/redis/key-names.js';
import { loadLuaScript } from '../pipeline/redis/lua-script.js';
import { enrichedEvents } from './identity-bench.js';
import { benchConfig } from './pipeline-bench.js';
import type { BenchOptions } from './options.js';
import { removeDir } from './server-children.js';
import { round, seconds } from './figures.js';

// The identity resolver on one Redis core. The identity graph is one hash tag, so on a Redis Cluster it lives
// on one master, whose one thread runs every resolution: its events per second per core is the ceiling of
// identity resolution for the whole installation, however many masters and workers it has. Measured on the
// private redis-server (AOF everysec, as in production) over the stitching scenario's events, in the loader's
// chunks (500 events per script call), with the server's main-thread CPU time (INFO cpu) beside the wall time:
//   - resolver: identity/lua/resolve-identities.lua through createResolver, a fresh graph per run;
//   - floor (baseline, same run): bench/lua/identifier-floor.lua, one HSET per identifier and nothing else —
//     what any resolver must at least write, through the same script calls.
// Alternated floor, resolver, floor, resolver: the machine is shared, and its load drifts.

const CHUNK = 500;
const FLOOR_SCRIPT = { file: 'bench/lua/identifier-floor.lua', keys: 1 };

export interface CoreRun {
  seconds: number;
  redisCpuSeconds: number;
  eventsPerSec: number;
  /** Events per second of the Redis main thread's CPU: what one Redis core resolves when it does nothing else. */
  eventsPerRedisCpuSecond: number;
}

export interface IdentityCoreReport {
  events: number;
  identifiers: number;
  chunkEvents: number;
  resolver: CoreRun[];
  floor: CoreRun[];
  resolverEventsPerRedisCpuSecond: number;
  floorEventsPerRedisCpuSecond: number;
  /** resolver / floor, per Redis CPU second. */
  ratioToFloor: number;
  notes: string[];
}

async function mainThreadCpu(redis: RedisClient): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  const main = field('used_cpu_user_main_thread') + field('used_cpu_sys_main_thread');
  return Number.isNaN(main) ? field('used_cpu_user') + field('used_cpu_sys') : main;
}

async function measured(redis: RedisClient, n: number, run: () => Promise<void>): Promise<CoreRun> {
  const cpu = await mainThreadCpu(redis);
  const t = performance.now();
  await run();
  const took = seconds(t);
  const redisCpuSeconds = (await mainThreadCpu(redis)) - cpu;
  return { seconds: round(took, 3), redisCpuSeconds: round(redisCpuSeconds, 3), eventsPerSec: round(n / took), eventsPerRedisCpuSecond: round(n / redisCpuSeconds) };
}

export async function runIdentityCoreBench(opts: BenchOptions): Promise<IdentityCoreReport> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-identity-core-'));
  const config = benchConfig(dataDir);
  const notes = ['on a shared machine the wall times follow the other load (see loadAverage); the Redis main thread\'s CPU seconds much less so'];
  process.stderr.write(`bench: identity-core: generating a scenario of about ${opts.identityEvents} events…\n`);
  const { events } = enrichedEvents(opts, config);
  const rules = identityRules(config);
  const inputs: ResolveInput[] = events.map((e) => ({ candidate: candidateProfileId(e.sourceId, e.messageId), identifiers: extractIdentifiers(e, rules).identifiers }));
  const n = inputs.length;
  const target = await resolveRedis(config, createLogger(config));
  const redis = redisFor(target, 'worker');
  try {
    const floor = loadLuaScript<number>(redis, FLOOR_SCRIPT);
    const hasher = createSuppressionHasher(randomBytes(32));
    const runs: IdentityCoreReport = { events: n, identifiers: inputs.reduce((a, e) => a + e.identifiers.length, 0), chunkEvents: CHUNK, resolver: [], floor: [], resolverEventsPerRedisCpuSecond: 0, floorEventsPerRedisCpuSecond: 0, ratioToFloor: 0, notes };
    const resolverRun = (prefix: string) => async () => {
      const resolver = createResolver(redis, redisKeyNames(prefix).identity, config.IDENTITY_LIMITS, hasher);
      for (let start = 0; start < n; start += CHUNK) await resolver.resolve(inputs.slice(start, start + CHUNK));
    };
    const floorRun = (prefix: string) => async () => {
      const index = redisKeyNames(prefix).identity.index;
      for (let start = 0; start < n; start += CHUNK) {
        await floor([index], [JSON.stringify(inputs.slice(start, start + CHUNK).map((e) => ({ c: e.candidate, ids: e.identifiers.map((i) => [i.type, i.value]) })))]);
      }
    };
    // Warm-up (scripts loaded, connection, JIT) on throw-away prefixes.
    await resolverRun('{bench-core-warm}')();
    await floorRun('{bench-core-warm}')();
    for (const round of [1, 2]) {
      process.stderr.write(`bench: identity-core: floor and resolver, round ${round}…\n`);
      runs.floor.push(await measured(redis, n, floorRun(`{bench-core-floor-${round}}`)));
      runs.resolver.push(await measured(redis, n, resolverRun(`{bench-core-resolver-${round}}`)));
    }
    const perCpu = (xs: CoreRun[]) => n / xs.reduce((a, r) => a + r.redisCpuSeconds, 0) * xs.length;
    runs.resolverEventsPerRedisCpuSecond = round(perCpu(runs.resolver));
    runs.floorEventsPerRedisCpuSecond = round(perCpu(runs.floor));
    runs.ratioToFloor = round(runs.resolverEventsPerRedisCpuSecond / runs.floorEventsPerRedisCpuSecond, 3);
    return runs;
  } finally {
    await closeRedis(redis);
    await target.local?.stop();
    removeDir(dataDir, opts.keepData);
  }
}
