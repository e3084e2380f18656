import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { runningServer } from '../../pipeline/core/server-info.js';
import { ADMIN_KEY } from './test-product.js';

/** A `cdp start` child process: the real CLI, so it can be stopped with SIGTERM or killed with SIGKILL. */
export interface CdpProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  /** Everything the process printed so far. */
  output(): string;
  sql<T = Record<string, unknown>>(query: string): Promise<T[]>;
}

/** Starts `cdp start --roles <roles>` and waits until it serves its data folder (server.json) and is ready. */
export async function spawnCdp(env: Record<string, string>, roles = 'workers'): Promise<CdpProcess> {
  const child = spawn(process.execPath, [path.join(projectRoot(), 'bin', 'cdp.js'), 'start', '--roles', roles], {
    env: { ...process.env, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = Date.now() + 60_000;
  let url = '';
  while (Date.now() < until && child.exitCode === null) {
    const info = runningServer(env.CDP_DATA_DIR!);
    if (info?.pid === child.pid) {
      url = info!.url;
      break;
    }
    await sleep(50);
  }
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`cdp process did not start:\n${output}`);
  }
  const sql = async <T,>(query: string): Promise<T[]> => {
    const res = await fetch(`${url}/v1/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query }),
    });
    const body = (await res.json()) as { rows: T[]; message?: string };
    if (res.status !== 200) throw new Error(`sql failed: ${body.message}`);
    return body.rows;
  };
  while ((await fetch(`${url}/ready`)).status !== 200) await sleep(50);
  return { child, url, exited, output: () => output, sql };
}

/** Stops it with SIGTERM (so that it stops the private Redis it started), unless it already exited, and waits. */
export async function stopCdp(server: CdpProcess): Promise<void> {
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  await server.exited;
}
