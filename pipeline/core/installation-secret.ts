import { createHmac, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import type { Config } from './config.js';
import { ConfigError } from './errors/config-error.js';

// The secret of one installation: it keys the hashes kept of deleted customers' identifiers, so that
// whoever reads ClickHouse cannot test a guessed email against them. It lives outside ClickHouse: in
// CDP_SECRET, or else in `secret.key` in the data folder (readable by its owner only), made at first start.

export const SECRET_FILE = 'secret.key';

function fromFile(dataDir: string): string {
  const file = path.join(dataDir, SECRET_FILE);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Written whole under another name, then linked into place: two processes starting at once agree on
  // one secret (the second link fails and reads the first), and a crash never leaves a half-written file.
  const pending = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(pending, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(pending, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(pending);
  }
  return readFileSync(file, 'utf8').trim();
}

/** CDP_SECRET, or the data folder's secret.key (created when missing). */
export function installationSecret(config: Pick<Config, 'CDP_SECRET' | 'dataDir'>): Buffer {
  const secret = config.CDP_SECRET ?? fromFile(config.dataDir);
  if (secret.length < 32) {
    throw new ConfigError([{ variable: 'CDP_SECRET', message: `${path.join(config.dataDir, SECRET_FILE)} holds fewer than 32 characters; remove it to have a new one made, or set CDP_SECRET` }]);
  }
  return Buffer.from(secret, 'utf8');
}

/**
 * Refuses a secret other than the one this installation's Redis was first used with: processes on several
 * machines that each made their own secret.key would otherwise each miss the others' suppressed
 * identifiers. Redis keeps an HMAC of a fixed text, which tells nothing about the secret, under `key`
 * (its name is pipeline/redis/key-names.ts's, which the shared base's core cannot import).
 */
export async function checkInstallationSecret(redis: Redis | Cluster, key: string, secret: Buffer): Promise<void> {
  const mark = createHmac('sha256', secret).update('cdp installation secret').digest('hex');
  await redis.set(key, mark, 'NX');
  if ((await redis.get(key)) !== mark) {
    throw new ConfigError([{
      variable: 'CDP_SECRET',
      message: `this installation was set up with another secret (its Redis says so): set CDP_SECRET, or copy ${SECRET_FILE} from the data folder where the installation first started, to the same value on every machine`,
    }]);
  }
}
