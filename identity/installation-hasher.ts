import type { Config } from '../pipeline/core/config.js';
import { checkInstallationSecret, installationSecret } from '../pipeline/core/installation-secret.js';
import { redisKeyNames } from '../pipeline/redis/key-names.js';
import { createSuppressionHasher, type SuppressionHasher } from './suppression-hash.js';
import type { RedisClient } from '../pipeline/redis/connection.js';

/** The suppression hasher of this installation, once its secret is known to be the one Redis was set up with. */
export async function installationHasher(config: Pick<Config, 'CDP_SECRET' | 'dataDir' | 'QUEUE_PREFIX'>, redis: RedisClient): Promise<SuppressionHasher> {
  const secret = installationSecret(config);
  await checkInstallationSecret(redis, redisKeyNames(config.QUEUE_PREFIX).installationSecretCheck, secret);
  return createSuppressionHasher(secret);
}
