import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { RedisUnavailableError } from '../core/errors/redis-unavailable-error.js';
import { ensurePrivateDir, tightenTree } from '../core/private-dir.js';

export type AppendFsync = 'always' | 'everysec';

export type RestartResult = 'ok' | 'failed';

export interface LocalRedisOptions {
  dataDir: string;
  bin: string;
  maxmemory: string;
  /** AOF fsync policy: `always` (fsync before each reply) or `everysec`. */
  appendfsync: AppendFsync;
  log?: Logger;
  /**
   * Restart the server whenever it dies, until stop() or endSupervision() (a running product does; a CLI
   * action does not). `onRestart` is called after each restart attempt.
   */
  supervise?: { onRestart(result: RestartResult): void };
}

/**
 * `running`; `restarting` from the moment a supervised server is found dead until a restart succeeds;
 * `stopped` once stop() ran.
 */
export type LocalRedisState = 'running' | 'restarting' | 'stopped';

export interface LocalRedis {
  /** Unix socket the private server listens on (no TCP port: nothing else on the machine can reach it by accident). */
  socket: string;
  /** Process id of the redis-server (a new one after each restart). */
  readonly pid: number;
  /** True when this call started (or adopted an orphaned) server and must stop it. */
  owned: boolean;
  readonly state: LocalRedisState;
  /** Successful restarts so far. */
  readonly restarts: number;
  /** No more restarts: cancels a pending one (and stops a server it was starting). */
  endSupervision(): Promise<void>;
  stop(): Promise<void>;
}

// Unix socket paths are limited to 107 bytes by the kernel.
const MAX_SOCKET_PATH = 100;
const START_TIMEOUT_MS = 15_000;
const RESTART_FIRST_DELAY_MS = 100;
const RESTART_MAX_DELAY_MS = 5_000;
// A server that stayed up this long died of something new: its next restart starts from the first delay again.
const RESTART_BACKOFF_RESET_MS = 60_000;
// How often the pid of a server this process did not start (an adopted orphan) is checked.
const ADOPTED_POLL_MS = 250;

export function localRedisSocket(dataDir: string): string {
  return path.join(dataDir, 'redis', 'redis.sock');
}

async function ping(socket: string): Promise<number | undefined> {
  if (!existsSync(socket)) return undefined;
  const client = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info('server');
    return Number(/process_id:(\d+)/.exec(info)?.[1]);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** An adopted server keeps the settings of whoever started it; the fsync policy is ours to choose. */
async function applyFsyncPolicy(socket: string, appendfsync: AppendFsync): Promise<void> {
  const client = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.config('SET', 'appendfsync', appendfsync);
  } finally {
    client.disconnect();
  }
}

/** Whether a process runs: a zombie (dead, not yet reaped by its parent) does not. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A dead process that its parent has not reaped yet (a zombie) still answers signal 0 but serves nothing.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Finds redis-server, installing Debian's package when we are root with apt; otherwise says what to run. */
function ensureBinary(bin: string, log?: Logger): void {
  if (!spawnSync(bin, ['--version']).error) return;
  const root = process.getuid?.() === 0;
  const apt = !spawnSync('apt-get', ['--version']).error;
  if (bin === 'redis-server' && root && apt) {
    log?.warn('redis-server not found; installing the redis-server package with apt-get');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    const install = spawnSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (install.status === 0 && !spawnSync(bin, ['--version']).error) return;
  }
  throw new RedisUnavailableError(
    `redis-server was not found (REDIS_SERVER_BIN=${bin}). Install it with \`sudo apt-get install -y redis-server\` ` +
      '(or your OS package manager), or point REDIS_URL at a Redis server.',
  );
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (processAlive(pid) && Date.now() < until) await sleep(50);
}

/** A running redis-server and a promise that settles when it exits (with how, for the log). */
interface Server {
  pid: number;
  exited: Promise<{ code?: number | null; signal?: string | null }>;
}

/** Watches a server this process did not start: its exit event is not ours to receive, so its pid is polled. */
function watchAdopted(pid: number, watching: () => boolean): Server {
  const exited = (async () => {
    // Unreferenced timers: the watch must not keep a stopping process alive.
    while (watching() && processAlive(pid)) await sleep(ADOPTED_POLL_MS, undefined, { ref: false });
    return {};
  })();
  return { pid, exited };
}

/**
 * Starts redis-server on the socket and waits until it answers. Under `umask 077`, so that the AOF and
 * any RDB file it writes are 0600 (they hold personal data, keys and webhook secrets).
 */
async function startServer(opts: LocalRedisOptions, dir: string, socket: string, signal?: AbortSignal): Promise<Server> {
  const logFd = openSync(path.join(dir, 'redis.log'), 'a', 0o600);
  const args = [
    '--port', '0',
    '--unixsocket', socket,
    '--unixsocketperm', '700',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', opts.appendfsync,
    '--save', '',
    '--maxmemory', opts.maxmemory,
    '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no',
  ];
  // Own process group: a Ctrl-C in the terminal must not stop Redis before we have drained into it.
  // `exec` keeps the pid: the child we watch is redis-server itself.
  const child = spawn('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', opts.bin, ...args], { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref();
  const exited = new Promise<{ code?: number | null; signal?: string | null; error?: string }>((resolve) => {
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
    child.once('error', (err) => resolve({ error: err.message }));
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && !signal?.aborted) {
    if ((await Promise.race([exited.then(() => 'exited'), sleep(50).then(() => 'waiting')])) === 'exited') break;
    if (await ping(socket)) return { pid: child.pid!, exited };
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`the private redis-server did not start; see ${path.join(dir, 'redis.log')}`);
}

/**
 * The private Redis of an embedded install: a redis-server child with its data in CDP_DATA_DIR/redis,
 * AOF with the REDIS_APPENDFSYNC policy (Redis writes the AOF before it replies, so a crash of our process
 * or of Redis loses nothing acknowledged; with `everysec` a power cut can lose the last second, and so can
 * a Redis crash while a slow disk makes it hold writes back; with `always` neither can: README, Guarantees)
 * and `noeviction`, so a full Redis refuses writes instead of silently dropping queued events. A server
 * left behind by a crashed process is adopted rather than started twice.
 *
 * Supervised (a running product), a server that dies is started again on the same folder, so it reloads
 * its AOF: after 100 ms, then with the delay doubling up to 5 s while attempts fail.
 */
export async function provisionLocalRedis(opts: LocalRedisOptions): Promise<LocalRedis> {
  const dir = path.join(opts.dataDir, 'redis');
  ensurePrivateDir(opts.dataDir, opts.log);
  ensurePrivateDir(dir, opts.log);
  tightenTree(dir, opts.log);
  const socket = localRedisSocket(opts.dataDir);
  if (socket.length > MAX_SOCKET_PATH) {
    throw new RedisUnavailableError(`the private Redis socket path is too long (${socket.length} > ${MAX_SOCKET_PATH} bytes): use a shorter CDP_DATA_DIR or set REDIS_URL`);
  }
  const ownerFile = path.join(dir, 'owner.pid');
  const claim = () => writeFileSync(ownerFile, String(process.pid), { mode: 0o600 });

  let state: LocalRedisState = 'running';
  let unsupervised = !opts.supervise;
  let restarts = 0;
  const cancel = new AbortController();
  const cancelled = new Promise<undefined>((resolve) => cancel.signal.addEventListener('abort', () => resolve(undefined)));

  let server: Server;
  const running = await ping(socket);
  if (running) {
    const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : 0;
    // Whoever started it (a running server, or this very process) stops it.
    if (owner && processAlive(owner)) {
      return { socket, pid: running, owned: false, state: 'running', restarts: 0, endSupervision: async () => {}, stop: async () => {} };
    }
    claim();
    await applyFsyncPolicy(socket, opts.appendfsync);
    opts.log?.info({ socket, redisPid: running }, 'adopted the private Redis left running by an earlier process');
    server = watchAdopted(running, () => !unsupervised);
  } else {
    ensureBinary(opts.bin, opts.log);
    server = await startServer(opts, dir, socket);
    claim();
    opts.log?.info({ socket, redisPid: server.pid, appendfsync: opts.appendfsync }, 'private Redis started');
  }

  const supervise = async (): Promise<void> => {
    let wait = RESTART_FIRST_DELAY_MS;
    let upSince = Date.now();
    for (;;) {
      const died = server;
      const how = await Promise.race([died.exited, cancelled]);
      if (unsupervised || how === undefined) return;
      const downAt = Date.now();
      state = 'restarting';
      if (downAt - upSince >= RESTART_BACKOFF_RESET_MS) wait = RESTART_FIRST_DELAY_MS;
      opts.log?.error({ redisPid: died.pid, ...how, upMs: downAt - upSince, restartInMs: wait }, 'the private Redis exited unexpectedly; restarting it');
      let adoptedAgain = false;
      for (let attempt = 1; ; attempt++) {
        try {
          await sleep(wait, undefined, { signal: cancel.signal });
          // Someone may have started a server on our socket meanwhile (a CLI command): watch it rather than start a second.
          const other = await ping(socket);
          adoptedAgain = other !== undefined;
          server = other ? watchAdopted(other, () => !unsupervised) : await startServer(opts, dir, socket, cancel.signal);
        } catch (err) {
          if (unsupervised) return;
          wait = Math.min(wait * 2, RESTART_MAX_DELAY_MS);
          opts.supervise!.onRestart('failed');
          opts.log?.error({ err: (err as Error).message, attempt, retryInMs: wait }, 'the private Redis did not restart; trying again');
          continue;
        }
        claim();
        restarts++;
        state = 'running';
        upSince = Date.now();
        // A server that dies again soon waits longer before its next restart.
        wait = Math.min(wait * 2, RESTART_MAX_DELAY_MS);
        opts.supervise!.onRestart('ok');
        opts.log?.warn(
          { redisPid: server.pid, restarts, attempt, downMs: upSince - downAt },
          adoptedAgain ? 'another process started the private Redis again; watching it' : 'the private Redis was restarted (its AOF reloaded)',
        );
        break;
      }
    }
  };
  const supervising = opts.supervise ? supervise() : Promise.resolve();

  const endSupervision = async () => {
    unsupervised = true;
    cancel.abort();
    await supervising;
  };
  return {
    socket,
    get pid() {
      return server.pid;
    },
    owned: true,
    get state() {
      return state;
    },
    get restarts() {
      return restarts;
    },
    endSupervision,
    async stop() {
      await endSupervision();
      state = 'stopped';
      if (!processAlive(server.pid)) return;
      process.kill(server.pid, 'SIGTERM');
      await waitForExit(server.pid, 15000);
    },
  };
}
