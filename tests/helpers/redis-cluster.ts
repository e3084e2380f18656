import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { tempDir } from './test-product.js';

// A real Redis Cluster of masters only, for the tests: one redis-server per master on free ports (and their
// cluster bus ports, +10000), AOF on, data in a temporary folder; joined with `redis-cli --cluster create`.
// Every server is stopped by its pid.

export interface ClusterNode {
  port: number;
  dir: string;
  process: ChildProcess;
}

export interface RedisClusterServers {
  nodes: ClusterNode[];
  /** The value of REDIS_CLUSTER_NODES. */
  seeds: string;
  /** A plain connection to one node (not a cluster client): for INFO, DBSIZE, SCAN of that node. */
  node(port: number): Redis;
  /** Kills one node with SIGKILL and starts it again on its folder (it reloads its AOF and rejoins). */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port free on 127.0.0.1 whose cluster bus port (+10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 25000);
    if (!taken.has(port) && (await portFree(port)) && (await portFree(port + 10000))) return port;
  }
}

function startServer(port: number, dir: string): ChildProcess {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000',
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction', '--logfile', path.join(dir, 'redis.log')],
    { stdio: 'ignore' },
  );
  return child;
}

async function untilAnswers(port: number, check: (redis: Redis) => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => {});
    try {
      await redis.connect();
      if (await check(redis)) return;
    } catch {
      // not up yet
    } finally {
      redis.disconnect();
    }
    if (Date.now() > until) throw new Error(`redis-server on ${port}: ${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const clusterOk = (redis: Redis) => redis.cluster('INFO').then((info) => /cluster_state:ok/.test(String(info)));

export async function startRedisCluster(masters = 3): Promise<RedisClusterServers> {
  const root = tempDir('cdp-redis-cluster-');
  const taken = new Set<number>();
  const nodes: ClusterNode[] = [];
  const stop = async () => {
    await Promise.all(
      nodes.map(async (n) => {
        if (n.process.exitCode === null && n.process.signalCode === null) {
          const exited = new Promise((resolve) => n.process.once('exit', resolve));
          n.process.kill('SIGKILL');
          await exited;
        }
      }),
    );
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freeClusterPort(taken);
      taken.add(port);
      const dir = path.join(root, String(port));
      mkdirSync(dir);
      nodes.push({ port, dir, process: startServer(port, dir) });
    }
    for (const n of nodes) await untilAnswers(n.port, async (r) => (await r.ping()) === 'PONG', 'no answer to PING');
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const n of nodes) await untilAnswers(n.port, clusterOk, 'cluster_state not ok');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    nodes,
    seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    node: (port) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 }),
    async restart(port) {
      const n = nodes.find((x) => x.port === port)!;
      const exited = new Promise((resolve) => n.process.once('exit', resolve));
      n.process.kill('SIGKILL');
      await exited;
      n.process = startServer(port, n.dir);
      for (const other of nodes) await untilAnswers(other.port, clusterOk, 'cluster_state not ok after a restart', 60_000);
    },
    stop,
  };
}
