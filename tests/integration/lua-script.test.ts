import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { provisionLocalRedis, type LocalRedis } from '../../pipeline/redis/local-redis.js';
import { loadLuaScript } from '../../pipeline/redis/lua-script.js';
import { tempDir } from '../helpers/test-product.js';

// The one loader of the product's Lua scripts, against a real redis-server, with two of the product's scripts:
// one declaring a fixed number of keys, one handed a key per message.

const CLAIM = { file: 'pipeline/load/lua/claim-message-ids.lua' };
const UPDATE = { file: 'segments/destinations/lua/update-destination.lua', keys: 1 };

const dataDir = tempDir('cdp-lua-');
let server: LocalRedis;
let redis: Redis;

beforeAll(async () => {
  server = await provisionLocalRedis({ dataDir, bin: process.env.REDIS_SERVER_BIN ?? 'redis-server', maxmemory: '64mb', appendfsync: 'everysec' });
  redis = new Redis({ path: server.socket });
});

afterAll(async () => {
  await redis?.quit();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a script handed a varying number of keys gets them all as KEYS, and its ARGV after them', async () => {
  const claim = loadLuaScript<number[]>(redis, CLAIM);
  expect(await claim(['lua:a', 'lua:b'], [60, 'job-1', 'job-1'])).toEqual([0, 0]);
  expect(await claim(['lua:a', 'lua:b', 'lua:c'], [60, 'job-2', 'job-1', 'job-2'])).toEqual([1, 0, 0]);
  expect(await redis.mget('lua:a', 'lua:b', 'lua:c')).toEqual(['job-1', 'job-1', 'job-2']);
  expect(await redis.ttl('lua:c')).toBeGreaterThan(0);
});

test('a script declaring its keys is refused a call with another number of keys, before Redis is asked', async () => {
  const update = loadLuaScript<number>(redis, UPDATE);
  const commands = Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))![1]);
  expect(() => update(['lua:d1', 'lua:d2'], ['set', 'f', 'v'])).toThrow(/declares 1 keys; called with 2/);
  // Only the INFO below reached the server.
  expect(Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))![1])).toBe(commands + 1);
  expect(await update(['lua:d1'], ['set', 'f', 'v'])).toBe(0);
  await redis.hset('lua:d1', 'seq', '5');
  expect(await update(['lua:d1'], ['max', 'seq', '3'])).toBe(1);
  expect(await update(['lua:d1'], ['max', 'seq', '7'])).toBe(1);
  expect(await redis.hgetall('lua:d1')).toEqual({ seq: '7' });
});

test('two scripts on one connection stay apart, and each runs again after Redis forgot every script', async () => {
  const claim = loadLuaScript<number[]>(redis, CLAIM);
  const update = loadLuaScript<number>(redis, UPDATE);
  await redis.hset('lua:d2', 'seq', '1');
  await redis.script('FLUSH');
  expect(await claim(['lua:e'], [60, 'job-3'])).toEqual([0]);
  expect(await update(['lua:d2'], ['max', 'seq', '2'])).toBe(1);
  expect(await redis.hget('lua:d2', 'seq')).toBe('2');
  expect(await redis.get('lua:e')).toBe('job-3');
});
