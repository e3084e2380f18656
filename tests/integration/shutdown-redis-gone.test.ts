import { rmSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { spawnCdp, type CdpProcess } from '../helpers/cdp-process.js';
import { breakAofManifest, privateRedisPid } from '../helpers/private-redis.js';
import { processAlive } from '../../pipeline/redis/local-redis.js';
import { tempDir, testEnv } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// SIGTERM must stop the product promptly when its Redis is gone, not sit out SHUTDOWN_TIMEOUT_MS waiting on
// connections, queues and workers that will never hear back. The timeout is set to an hour here, so a
// shutdown that waits on Redis cannot end within the test's own deadline, and one that ends because the
// timeout fired exits with 1 and logs it.

let cdp: CdpProcess | undefined;
let dataDir = '';

afterEach(async () => {
  if (cdp && cdp.child.exitCode === null && cdp.child.signalCode === null) {
    cdp.child.kill('SIGKILL');
    await cdp.exited;
  }
  cdp = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

async function healthStatus(url: string): Promise<number> {
  return (await fetch(`${url}/health`)).status;
}

test('with the private Redis dead and failing to restart, SIGTERM stops every role at once and cleanly', async () => {
  dataDir = tempDir();
  cdp = await spawnCdp(testEnv(dataDir, { LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: String(3600_000) }), 'api,workers,scheduler');
  const redisPid = await privateRedisPid(dataDir);
  expect(redisPid).toBeGreaterThan(0);

  breakAofManifest(dataDir);
  process.kill(redisPid!, 'SIGKILL');
  await waitFor('/health to report Redis down', async () => (await healthStatus(cdp!.url)) === 503);
  await waitFor('a restart attempt to fail', () => cdp!.output().includes('the private Redis did not restart; trying again'));

  cdp.child.kill('SIGTERM');
  const code = await Promise.race([cdp.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 60_000).unref())]);
  expect(code, cdp.output().slice(-3000)).toBe(0);
  expect(cdp.output()).toContain('"msg":"stopped"');
  expect(cdp.output()).not.toContain('graceful shutdown took too long');
  // The supervision ended with the process: no redis-server was started behind its back during the stop.
  expect(cdp.output()).not.toContain('the private Redis was restarted');
  expect(await privateRedisPid(dataDir)).toBeUndefined();
});

test('with Redis healthy, SIGTERM stops the private Redis it runs and does not start it again', async () => {
  dataDir = tempDir();
  cdp = await spawnCdp(testEnv(dataDir, { LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: String(3600_000) }), 'api,workers,scheduler');
  const redisPid = await privateRedisPid(dataDir);
  expect(redisPid).toBeGreaterThan(0);

  cdp.child.kill('SIGTERM');
  expect(await cdp.exited, cdp.output().slice(-3000)).toBe(0);
  expect(processAlive(redisPid!)).toBe(false);
  // Once the process is gone nothing can start a server any more: what answers now answers for good.
  expect(await privateRedisPid(dataDir)).toBeUndefined();
  expect(cdp.output()).not.toContain('exited unexpectedly');
});
