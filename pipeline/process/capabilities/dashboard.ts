import type { ProfileStore } from '../../../identity/profile-store.js';
import type { EventDestinationStore } from '../../destinations/event-destination-store.js';
import type { EventQueues } from '../../destinations/event-queues.js';
import { dashboardRoutes } from '../../dashboard/dashboard-routes.js';
import { createDashboardReader } from '../../dashboard/reader.js';
import { sqlRoute } from '../../dashboard/sql-console-route.js';
import { ownClickHouse, type Base, type Served } from './base.js';
import type { HeldClickHouse } from './clickhouse-held.js';

/** The dashboard's JSON (`/v1/dashboard/*`) and the SQL console (`POST /v1/sql`); the page itself is served everywhere. */
export async function startDashboard(base: Base, deps: { held: HeldClickHouse; profiles: ProfileStore; events: EventDestinationStore; queues: EventQueues }): Promise<Served> {
  // A connection of its own: a page load must not hold up health checks or profile reads.
  const read = createDashboardReader(await ownClickHouse(base));
  return {
    routes: async (app) => {
      await app.register(dashboardRoutes, { metrics: base.metrics, database: base.config.CLICKHOUSE_DATABASE, timeZone: base.config.SEGMENTS_TIME_ZONE, read, profiles: deps.profiles, destinations: { events: deps.events, queues: deps.queues, redis: base.appRedis, keys: base.redisKeys.destinations } });
      await app.register(sqlRoute, { sql: deps.held.sql });
    },
  };
}
