import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { localRedisSocket } from '../pipeline/redis/local-redis.js';
import { configVariables } from '../pipeline/core/config.js';
import { projectRoot } from '../pipeline/core/project-root.js';

// The HTTP servers under load run as child processes: the load generator (autocannon) must not share their
// event loop, or it would measure itself. These helpers start them, wait until they serve, and stop them.

export interface ServerChild {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A port free right now (the OS picks it); the child binds it a moment later. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM (graceful), then SIGKILL if the child has not exited after `timeoutMs`. */
export async function stopChild(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const exited = exitOf(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)]);
  if (!done) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function waitForReady(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    try {
      const res = await fetch(`${url}/ready`);
      if (res.status === 200) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url}/ready did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/** The bare Fastify baseline (bare-server.ts) in a child process. */
export async function startBareChild(): Promise<ServerChild> {
  // Same extension as this file: .js from dist/, .ts when run from source with tsx (fork keeps execArgv).
  const script = fileURLToPath(new URL(`./bare-server${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const child = fork(script, [], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (msg) => resolve((msg as { url: string }).url));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the bare server exited (${code}) before listening`)));
  });
  await waitForReady(url, child);
  return { url, child, stop: () => stopChild(child) };
}

/** The load batch wait a product child runs with (it inherits this process's environment), for the benches' notes. */
export function childLoadBatchWaitMs(): number {
  return configVariables.LOAD_BATCH_MAX_WAIT_MS[0].parse(process.env.LOAD_BATCH_MAX_WAIT_MS || undefined);
}

/**
 * The Node flags `cdp` runs under, read from bin/cdp.js's first line (`#!/usr/bin/env -S node <flags>`), as
 * `npm start` and the container image also pass them: `node bin/cdp.js` alone would run without them.
 */
export function productNodeFlags(): string[] {
  const first = readFileSync(path.join(projectRoot(), 'bin', 'cdp.js'), 'utf8').split('\n', 1)[0]!;
  const flags = first.match(/^#!.*\bnode((?:\s+--\S+)*)\s*$/);
  if (!flags) throw new Error(`bin/cdp.js does not start with a node shebang: ${first}`);
  return flags[1]!.trim().split(/\s+/).filter(Boolean);
}

/**
 * `cdp start --roles <roles>` (with productNodeFlags) on a data folder and a free port, logging to the bench's
 * stderr (its stdout is the JSON report), once /ready answers 200. On failure the child and its Redis are stopped.
 */
export async function startProductChild(dataDir: string, roles: string, env: Record<string, string>, readyTimeoutMs = 60_000): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...productNodeFlags(), path.join(projectRoot(), 'bin', 'cdp.js'), 'start', '--roles', roles], {
    cwd: projectRoot(),
    env: { ...process.env, CDP_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(process.stderr);
  child.stderr!.pipe(process.stderr);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForReady(url, child, readyTimeoutMs);
  } catch (err) {
    await stopChild(child);
    await stopOrphanRedis(dataDir);
    throw err;
  }
  return { url, child };
}

export interface ApiChild extends ServerChild {
  dataDir: string;
  writeKey: string;
}

/**
 * Our tracking API as an operator runs it: `node bin/cdp.js start --roles api`, on its own data folder
 * (and so its own private Redis). No workers run, so jobs pile up in Redis during the bench: the queue
 * depth bound and Redis maxmemory are raised far enough that this never turns into 503s.
 */
export async function startApiChild(env: Record<string, string> = {}): Promise<ApiChild> {
  // Short prefix: the private Redis socket path is limited to ~100 bytes.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-'));
  const writeKey = 'wk_bench';
  const { url, child } = await startProductChild(dataDir, 'api', {
    CDP_WRITE_KEYS: `${writeKey}:bench`,
    INGEST_MAX_QUEUE_DEPTH: '10000000',
    REDIS_MAXMEMORY: '8gb',
    ...env,
  });
  return {
    url,
    child,
    dataDir,
    writeKey,
    async stop() {
      await stopChild(child);
      await stopOrphanRedis(dataDir);
    },
  };
}

/**
 * The private Redis is a detached child of the API process; a graceful stop stops it, but a SIGKILLed API
 * would leave it running, so it is shut down through its socket if still there.
 */
async function stopOrphanRedis(dataDir: string): Promise<void> {
  const socket = localRedisSocket(dataDir);
  if (!existsSync(socket)) return;
  const redis = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.shutdown('NOSAVE');
  } catch {
    // not running (the socket file was left behind) or already going away
  } finally {
    redis.disconnect();
  }
}

export function removeDir(dir: string, keep: boolean): void {
  if (keep) process.stderr.write(`bench: kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
