import { identityAdminRoutes } from '../../../identity/identity-admin-routes.js';
import { identityRules } from '../../../identity/identity-rules.js';
import { profileRoutes } from '../../../identity/profile-routes.js';
import { createProfileStore, type ProfileStore } from '../../../identity/profile-store.js';
import { identityRebuilder } from '../../../identity/rebuild.js';
import type { LoadQueue } from '../../redis/load-queue.js';
import type { Base, Served } from './base.js';
import type { HeldClickHouse } from './clickhouse-held.js';

/** The profile API (read, look up, delete) and the identity graph's rebuild (`/v1/identity/rebuild`). */
export function startProfiles(
  base: Base,
  deps: { held: HeldClickHouse; queue: LoadQueue; outgoing?: (profiles: string[]) => Promise<number>; journeys?: (profiles: string[]) => Promise<number>; forget?: (profiles: string[]) => Promise<void> },
): Served & { profiles: ProfileStore } {
  const { config, appRedis } = base;
  const { admin, hasher } = deps.held;
  const profiles = createProfileStore(admin, appRedis, config.CLICKHOUSE_DATABASE, base.redisKeys.identity, {
    hasher,
    rules: identityRules(config),
    // A deletion clears the customer's events from load jobs not yet loaded.
    queue: deps.queue,
    // A dead worker's job is given up after its lock ran out and the next stalled check.
    activeWaitMs: config.WORKER_LOCK_DURATION_MS + config.WORKER_STALLED_INTERVAL_MS,
    // ...and from the event destinations' queues.
    outgoing: deps.outgoing,
    // ...and from the journeys: instances, pending steps, goal watches.
    journeys: deps.journeys,
    // ...and what else Redis keeps of them.
    forget: deps.forget,
    log: base.log.child({ role: 'profiles' }),
  });
  const rebuild = identityRebuilder(config, admin, appRedis, deps.queue, hasher);
  return {
    profiles,
    routes: async (app) => {
      await app.register(profileRoutes, { profiles });
      await app.register(identityAdminRoutes, { rebuild });
    },
  };
}
