import { statfsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { localRedisSocket } from '../pipeline/redis/local-redis.js';
import type { BenchOptions } from './options.js';
import { pairedIngest, type PairedScenarioReport } from './paired-ingest.js';
import { removeDir, startApiChild, type ApiChild } from './server-children.js';

// What fsync per write costs the tracking API: two api-role children, each with its private Redis, one with
// REDIS_APPENDFSYNC=always and one with everysec, given the same bodies, connections and duration one after
// the other in the same run (alternating which goes first per round). The product's default is `always`
// unless it costs more than 10 % of ingest throughput in either scenario.

const POLICIES = ['always', 'everysec'] as const;
type Policy = (typeof POLICIES)[number];

// statfs magic numbers of file systems whose fsync does not reach a disk: a figure measured there says nothing.
const MEMORY_FILE_SYSTEMS: Record<number, string> = { 0x01021994: 'tmpfs', 0x858458f6: 'ramfs' };

/** `always` is side A: its costPercent is what fsync per write gives up. */
export type FsyncScenarioReport = PairedScenarioReport<'always', 'everysec'>;

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
    const reports = await pairedIngest(opts, 'fsync', POLICIES, { always, everysec }, authorization);
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
