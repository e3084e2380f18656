import { existsSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { privateRedisPid } from '../helpers/private-redis.js';
import { startTestProduct, tempDir, type TestProduct } from '../helpers/test-product.js';

// A start that fails at its last step, after every capability was opened, closes all of it through the
// same close as a stop: the private Redis it started is stopped and no server.json is left behind.

let blocker: Server | undefined;
let product: TestProduct | undefined;
let dataDir = '';

afterEach(async () => {
  await product?.destroy();
  product = undefined;
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  blocker = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

test('a start whose port is taken closes what it opened: its private Redis is stopped, and the folder starts again', async () => {
  blocker = createServer();
  await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as AddressInfo).port;
  dataDir = tempDir();

  await expect(startTestProduct({ dataDir, roles: ['api', 'workers', 'scheduler'], env: { PORT: String(port) } })).rejects.toThrow(/EADDRINUSE/);
  expect(await privateRedisPid(dataDir)).toBeUndefined();
  expect(existsSync(path.join(dataDir, 'server.json'))).toBe(false);

  product = await startTestProduct({ dataDir, roles: ['api', 'workers', 'scheduler'] });
  expect((await fetch(`${product.url}/health`)).status).toBe(200);
  expect(existsSync(path.join(dataDir, 'server.json'))).toBe(true);
});
