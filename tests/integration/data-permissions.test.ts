import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, expect, test } from 'vitest';
import { startTestProduct, tempDir, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// The data folder holds personal data, keys and webhook secrets (events in chDB; queued events, API keys and
// destinations' secrets in Redis's AOF): only its owner may read it, whatever the umask.

let product: TestProduct | undefined;
let parent = '';

afterEach(async () => {
  await product?.destroy();
  product = undefined;
  rmSync(parent, { recursive: true, force: true });
});

const mode = (file: string) => `0${(statSync(file).mode & 0o777).toString(8)}`;

/** Every file and folder under the private Redis's folder, with its mode (the socket aside: Redis sets it 0700). */
function redisModes(dataDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        out[`${path.relative(dataDir, full)}/`] = mode(full);
        walk(full);
      } else if (entry.isFile()) out[path.relative(dataDir, full)] = mode(full);
    }
  };
  walk(path.join(dataDir, 'redis'));
  return out;
}

test('a new data folder is created 0700, with the AOF files 0600, also those Redis writes later', async () => {
  parent = tempDir();
  const dataDir = path.join(parent, 'new', 'data');
  product = await startTestProduct({ dataDir });
  expect((await product.post('/v1/track', { userId: 'u', event: 'Private' })).status).toBe(200);

  expect(mode(dataDir)).toBe('0700');
  expect(mode(path.join(dataDir, 'cli.key'))).toBe('0600');
  expect(mode(path.join(dataDir, 'server.json'))).toBe('0600');
  // A rewrite makes new AOF files: created by the running server, they must be private too.
  const redis = new Redis(product.redis.options);
  try {
    await redis.bgrewriteaof();
    await waitFor('the AOF rewrite to finish', async () => /aof_rewrite_in_progress:0/.test(await redis.info('persistence')) && readdirSync(path.join(dataDir, 'redis', 'appendonlydir')).some((f) => f.includes('.2.')));
  } finally {
    redis.disconnect();
  }
  const modes = redisModes(dataDir);
  expect(Object.keys(modes)).toEqual(expect.arrayContaining(['redis/appendonlydir/', 'redis/appendonlydir/appendonly.aof.manifest', 'redis/redis.log', 'redis/owner.pid']));
  expect(Object.keys(modes).filter((f) => /\.(aof|rdb)$/.test(f)).length).toBeGreaterThanOrEqual(2);
  for (const [file, m] of Object.entries(modes)) expect(`${file} ${m}`).toBe(`${file} ${file.endsWith('/') ? '0700' : '0600'}`);
});

test('an existing data folder readable by others is tightened at start: folders 0700, Redis files and the CLI key 0600', async () => {
  parent = tempDir();
  const dataDir = path.join(parent, 'data');
  // As an earlier version left it: everything readable by group and others.
  mkdirSync(path.join(dataDir, 'redis', 'appendonlydir'), { recursive: true });
  writeFileSync(path.join(dataDir, 'redis', 'redis.log'), 'an old log line\n');
  writeFileSync(path.join(dataDir, 'redis', 'dump.rdb'), '');
  writeFileSync(path.join(dataDir, 'cli.key'), 'ak_old_local_key');
  for (const dir of [dataDir, path.join(dataDir, 'redis'), path.join(dataDir, 'redis', 'appendonlydir')]) chmodSync(dir, 0o755);
  for (const file of ['redis/redis.log', 'redis/dump.rdb', 'cli.key']) chmodSync(path.join(dataDir, file), 0o644);

  product = await startTestProduct({ dataDir, roles: ['api'] });
  expect(mode(dataDir)).toBe('0700');
  expect(mode(path.join(dataDir, 'cli.key'))).toBe('0600');
  const modes = redisModes(dataDir);
  expect(modes['redis/dump.rdb']).toBe('0600');
  for (const [file, m] of Object.entries(modes)) expect(`${file} ${m}`).toBe(`${file} ${file.endsWith('/') ? '0700' : '0600'}`);
});
