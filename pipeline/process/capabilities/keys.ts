import { keyRoutes } from '../../auth/key-routes.js';
import { followKeyChanges } from '../../auth/key-changes.js';
import { createKeyStore, type KeyStore } from '../../auth/key-store.js';
import { localAdminKey } from '../../auth/local-admin-key.js';
import { ownRedis, type Base, type Served } from './base.js';

/** API keys, in every process: the key store (with the data folder's cli.key), revocations followed, `/v1/keys`. */
export async function startKeys(base: Base): Promise<Served & { keys: KeyStore }> {
  const keys = createKeyStore(base.appRedis, base.config);
  await keys.registerLocalCli(localAdminKey(base.config.dataDir));
  // The follower's only resource is its subscribed connection, closed on stop with the others.
  await followKeyChanges(ownRedis(base, 'worker'), keys.forgetCached, base.log);
  return {
    keys,
    routes: async (app) => {
      await app.register(keyRoutes, { keys });
    },
  };
}
