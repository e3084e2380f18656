import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The cluster of the tests: two shards of two replicas, as deploy/cluster/ runs it; this engine is shard 1, replica 1. */
export const TEST_CLUSTER = 'cdp_cluster';

const CONFIG = `<clickhouse>
  <remote_servers>
    <${TEST_CLUSTER}>
      <shard><internal_replication>true</internal_replication>
        <replica><host>ch-s1-r1.invalid</host><port>9000</port></replica><replica><host>ch-s1-r2.invalid</host><port>9000</port></replica></shard>
      <shard><internal_replication>true</internal_replication>
        <replica><host>ch-s2-r1.invalid</host><port>9000</port></replica><replica><host>ch-s2-r2.invalid</host><port>9000</port></replica></shard>
    </${TEST_CLUSTER}>
  </remote_servers>
  <macros><shard>1</shard><replica>r1</replica></macros>
  <zookeeper><implementation>testkeeper</implementation></zookeeper>
</clickhouse>
`;

export interface Answer {
  ok: boolean;
  rows?: Record<string, unknown>[];
  /** ClickHouse's error code: 279 ALL_CONNECTION_TRIES_FAILED (it tried the shards), 288 double-distributed, ... */
  code?: number;
  message?: string;
}

/** A chDB engine in a child process, configured as a node of TEST_CLUSTER (cluster, macros, in-process keeper). */
export interface ClusterNode {
  run(query: string, params?: Record<string, unknown>): Promise<Answer>;
  /** Kills the child (its Replicated tables would keep retrying) and waits for it to exit. */
  kill(): Promise<void>;
}

export function startClusterNode(dir: string): ClusterNode {
  const configFile = path.join(dir, 'cluster.xml');
  writeFileSync(configFile, CONFIG);
  return startConfiguredChdb(path.join(dir, 'data'), configFile);
}

/** A chDB engine in a child process reading a ClickHouse server configuration file, with `env` for its from_env. */
export function startConfiguredChdb(dataDir: string, configFile: string, env: Record<string, string> = {}): ClusterNode {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cluster-chdb-child.mjs');
  const child: ChildProcess = spawn(process.execPath, [script, dataDir, configFile], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting = new Map<number, (a: Answer) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const answer = JSON.parse(line) as Answer & { id: number };
    waiting.get(answer.id)?.(answer);
    waiting.delete(answer.id);
  });
  let next = 0;
  return {
    run(query, params) {
      const id = next++;
      if (child.exitCode !== null) return Promise.reject(new Error(`cluster node exited: ${stderr}`));
      return new Promise<Answer>((resolve, reject) => {
        waiting.set(id, resolve);
        exited.then(() => reject(new Error(`cluster node exited: ${stderr}`)));
        child.stdin!.write(`${JSON.stringify({ id, query, params })}\n`);
      });
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A statement as one node runs it: chDB is no cluster member, so ON CLUSTER (which needs the others) is dropped. */
export function onThisNode(statement: string): string {
  return statement.replace(new RegExp(` ON CLUSTER ${TEST_CLUSTER}\\b`, 'g'), '');
}

/**
 * A statement with its Replicated engines made plain (ReplicatedMergeTree('/path', '{replica}', v) → MergeTree(v)):
 * for a node that must also take the migrations' ALTERs, which chDB's read-only replicas refuse. The Distributed
 * tables, which decide how queries run, stay as they are.
 */
export function withoutReplication(statement: string): string {
  return statement.replace(/ENGINE = Replicated(\w+)\('[^']*', '[^']*'(?:, )?/g, 'ENGINE = $1(').replace(/ENGINE = (\w+)\(\)/g, 'ENGINE = $1');
}

/** The statements of `cdp migrate --print`'s output. */
export function printedStatements(output: string): string[] {
  return output
    .split(/;\n(?:\n|$)/)
    .map((s) => s.split('\n').filter((l) => !l.startsWith('--')).join('\n').trim())
    .filter(Boolean);
}
