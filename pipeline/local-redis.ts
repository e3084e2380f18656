import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import { RedisUnavailableError } from './errors/redis-unavailable-error.js';

export interface LocalRedisOptions {
  dataDir: string;
  bin: string;
  maxmemory: string;
  log?: Logger;
}

export interface LocalRedis {
  /** Unix socket the private server listens on (no TCP port: nothing else on the machine can reach it by accident). */
  socket: string;
  /** Process id of the redis-server. */
  pid: number;
  /** True when this call started (or adopted an orphaned) server and must stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

// Unix socket paths are limited to 107 bytes by the kernel.
const MAX_SOCKET_PATH = 100;

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
  while (alive(pid) && Date.now() < until) await sleep(50);
}

/**
 * The private Redis of an embedded install: a redis-server child with its data in CDP_DATA_DIR/redis,
 * AOF with `appendfsync everysec` (Redis writes the AOF before it replies, so a crash of our process or
 * of Redis loses nothing acknowledged; only a power cut can lose up to a second) and `noeviction`, so a
 * full Redis refuses writes instead of silently dropping queued events.
 * A server left behind by a crashed process is adopted rather than started twice.
 */
export async function provisionLocalRedis(opts: LocalRedisOptions): Promise<LocalRedis> {
  const dir = path.join(opts.dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const socket = localRedisSocket(opts.dataDir);
  if (socket.length > MAX_SOCKET_PATH) {
    throw new RedisUnavailableError(`the private Redis socket path is too long (${socket.length} > ${MAX_SOCKET_PATH} bytes): use a shorter CDP_DATA_DIR or set REDIS_URL`);
  }
  const ownerFile = path.join(dir, 'owner.pid');
  const stopper = (pid: number) => async () => {
    if (!alive(pid)) return;
    process.kill(pid, 'SIGTERM');
    await waitForExit(pid, 15000);
  };

  const running = await ping(socket);
  if (running) {
    const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : 0;
    // Whoever started it (a running server, or this very process) stops it.
    if (owner && alive(owner)) return { socket, pid: running, owned: false, stop: async () => {} };
    writeFileSync(ownerFile, String(process.pid));
    opts.log?.info({ socket, pid: running }, 'adopted the private Redis left running by an earlier process');
    return { socket, pid: running, owned: true, stop: stopper(running) };
  }

  ensureBinary(opts.bin, opts.log);
  const logFd = openSync(path.join(dir, 'redis.log'), 'a');
  const child = spawn(
    opts.bin,
    [
      '--port', '0',
      '--unixsocket', socket,
      '--unixsocketperm', '700',
      '--dir', dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--maxmemory', opts.maxmemory,
      '--maxmemory-policy', 'noeviction',
      '--daemonize', 'no',
    ],
    // Own process group: a Ctrl-C in the terminal must not stop Redis before we have drained into it.
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  child.unref();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if ((await Promise.race([exited.then(() => 'exited'), sleep(50).then(() => 'waiting')])) === 'exited') break;
    if (await ping(socket)) {
      writeFileSync(ownerFile, String(process.pid));
      opts.log?.info({ socket, pid: child.pid }, 'private Redis started');
      return { socket, pid: child.pid!, owned: true, stop: stopper(child.pid!) };
    }
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`the private redis-server did not start; see ${path.join(dir, 'redis.log')}`);
}
