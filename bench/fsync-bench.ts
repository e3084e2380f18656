import { statfsSync } from 'node:fs';
import { Redis } from 'ioredis';
import type autocannon from 'autocannon';
import { localRedisSocket } from '../pipeline/redis/local-redis.js';
import { acceptedEvents, figures, ingestScenarios, load, precheck, type LoadFigures } from './ingest-bench.js';
import type { BenchOptions } from './options.js';
import { removeDir, startApiChild, type ApiChild } from './server-children.js';
import { round } from './figures.js';

// What fsync per write costs the tracking API: two api-role children, each with its private Redis, one with
// REDIS_APPENDFSYNC=always and one with everysec, given the same bodies, connections and duration one after
// the other in the same run (alternating which goes first per round). The product's default is `always`
// unless it costs more than 10 % of ingest throughput in either scenario.

const POLICIES = ['always', 'everysec'] as const;
type Policy = (typeof POLICIES)[number];

// statfs magic numbers of file systems whose fsync does not reach a disk: a figure measured there says nothing.
const MEMORY_FILE_SYSTEMS: Record<number, string> = { 0x01021994: 'tmpfs', 0x858458f6: 'ramfs' };

export interface FsyncScenarioReport {
  scenario: string;
  route: string;
  eventsPerRequest: number;
  always: LoadFigures & { acceptedEvents: number };
  everysec: LoadFigures & { acceptedEvents: number };
  /** always req/s ÷ everysec req/s, over all rounds. */
  ratio: number;
  /** (1 − ratio) in percent: the throughput `always` gives up. */
  costPercent: number;
  roundRatios?: number[];
  /** False when either side had a non-2xx answer or a connection error. */
  valid: boolean;
  /** costPercent ≤ 10 and valid: `always` can be the default as far as this scenario goes. */
  withinTenPercent: boolean;
}

export interface FsyncReport {
  rounds: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** The file system under the data folders (fsync on tmpfs costs nothing and proves nothing). */
  dataFileSystem: { type: string; inMemory: boolean };
  /** The policy each private Redis reported (CONFIG GET appendfsync), to show the run measured what it says. */
  appendfsync: Record<Policy, string>;
  scenarios: FsyncScenarioReport[];
}

async function reportedPolicy(dataDir: string): Promise<string> {
  const redis = new Redis({ path: localRedisSocket(dataDir), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    const [, value] = (await redis.config('GET', 'appendfsync')) as string[];
    return value ?? 'unknown';
  } finally {
    redis.disconnect();
  }
}

export async function runFsyncBench(opts: BenchOptions): Promise<FsyncReport> {
  const servers: Partial<Record<Policy, ApiChild>> = {};
  try {
    for (const policy of POLICIES) servers[policy] = await startApiChild({ REDIS_APPENDFSYNC: policy });
    const always = servers.always!;
    const everysec = servers.everysec!;
    const fsType = statfsSync(always.dataDir).type;
    const authorization = `Basic ${Buffer.from(`${always.writeKey}:`).toString('base64')}`;
    const reports: FsyncScenarioReport[] = [];
    for (const scenario of ingestScenarios(opts)) {
      for (const policy of POLICIES) await precheck(servers[policy]!, scenario, authorization, `our API (${policy})`);
      const results: Record<Policy, autocannon.Result[]> = { always: [], everysec: [] };
      const accepted: Record<Policy, number> = { always: 0, everysec: 0 };
      const measure = async (policy: Policy) => {
        const server = servers[policy]!;
        process.stderr.write(`bench: fsync ${scenario.name}: appendfsync ${policy}…\n`);
        if (opts.warmupSec > 0) await load(server.url, scenario, authorization, opts.warmupSec, opts.connections);
        const before = await acceptedEvents(server.url);
        results[policy].push(await load(server.url, scenario, authorization, opts.durationSec, opts.connections));
        accepted[policy] += (await acceptedEvents(server.url)) - before;
      };
      const roundRatios: number[] = [];
      for (let r = 0; r < opts.rounds; r++) {
        // Alternating the order spreads a slow drift of the machine's load (and AOF growth) over both sides.
        for (const policy of r % 2 === 0 ? POLICIES : [...POLICIES].reverse()) await measure(policy);
        const rate = (res: autocannon.Result) => res.requests.total / res.duration;
        roundRatios.push(round(rate(results.always[r]!) / rate(results.everysec[r]!), 3));
      }
      const a = figures(results.always, scenario.eventsPerRequest);
      const e = figures(results.everysec, scenario.eventsPerRequest);
      const valid = a.non2xx === 0 && a.errors === 0 && e.non2xx === 0 && e.errors === 0;
      const ratio = round(a.reqPerSec / e.reqPerSec, 3);
      const costPercent = round((1 - ratio) * 100, 1);
      reports.push({
        scenario: scenario.name,
        route: scenario.route,
        eventsPerRequest: scenario.eventsPerRequest,
        always: { ...a, acceptedEvents: accepted.always },
        everysec: { ...e, acceptedEvents: accepted.everysec },
        ratio,
        costPercent,
        ...(opts.rounds > 1 ? { roundRatios } : {}),
        valid,
        withinTenPercent: valid && costPercent <= 10,
      });
    }
    return {
      rounds: opts.rounds,
      connections: opts.connections,
      durationSec: opts.durationSec,
      warmupSec: opts.warmupSec,
      dataFileSystem: { type: MEMORY_FILE_SYSTEMS[fsType] ?? `0x${fsType.toString(16)}`, inMemory: fsType in MEMORY_FILE_SYSTEMS },
      appendfsync: { always: await reportedPolicy(always.dataDir), everysec: await reportedPolicy(everysec.dataDir) },
      scenarios: reports,
    };
  } finally {
    for (const server of Object.values(servers)) {
      await server.stop();
      removeDir(server.dataDir, opts.keepData);
    }
  }
}
