import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { localRedisSocket } from '../../pipeline/redis/local-redis.js';

const manifest = (dataDir: string) => path.join(dataDir, 'redis', 'appendonlydir', 'appendonly.aof.manifest');

/**
 * Makes the private redis-server unable to start, as a damaged disk would: garbage in its AOF manifest makes
 * it exit at start-up ("Invalid AOF manifest file format"). The server already running is not affected (it
 * reads the manifest only at start). Returns the function that puts the manifest back.
 */
export function breakAofManifest(dataDir: string): () => void {
  const original = readFileSync(manifest(dataDir));
  writeFileSync(manifest(dataDir), 'not a manifest\n');
  return () => writeFileSync(manifest(dataDir), original);
}

/** The pid of the redis-server answering on the data folder's socket (asked through INFO), or undefined. */
export async function privateRedisPid(dataDir: string): Promise<number | undefined> {
  const redis = new Redis({ path: localRedisSocket(dataDir), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}
