import { audienceExportRoute } from '../../../segments/audience/audience-export-route.js';
import { audienceRoutes } from '../../../segments/audience/audience-routes.js';
import { createAudienceStore } from '../../../segments/audience/audience-store.js';
import { createDestinationStore, type DestinationStore } from '../../../segments/destinations/destination-store.js';
import type { AudienceStore } from '../../../segments/audience/audience-store.js';
import { startWebhookDelivery, type WebhookDelivery } from '../../../segments/destinations/webhook-dispatcher.js';
import { ownClickHouse, ownRedis, type Base, type Served } from './base.js';

/**
 * The audience API (members, changes, export) and webhook destinations' delivery (their routes are the
 * destinations', event-destinations.ts). Runs are queued for delivery wherever membership runs commit; the
 * deliveries themselves go out with `scheduling`.
 */
export async function startAudienceAndWebhooks(
  base: Base,
  deps: { scheduling: boolean },
): Promise<Served & { webhooks: WebhookDelivery; destinations: DestinationStore; audience: AudienceStore }> {
  const { config, appRedis } = base;
  // A connection of their own: an export reads page after page and must not hold up health checks or profile reads.
  const clickhouse = await ownClickHouse(base);
  const audience = createAudienceStore(clickhouse, config.CLICKHOUSE_DATABASE);
  const destinations = createDestinationStore(appRedis, base.redisKeys.destinations);
  const workerConnection = deps.scheduling ? ownRedis(base, 'worker') : undefined;
  const webhooks = startWebhookDelivery({ connection: appRedis, workerConnection, clickhouse, destinations, config, log: base.log.child({ role: 'webhooks' }), metrics: base.metrics });
  base.onClose((redisGone) => webhooks.close(redisGone));
  const audienceDeps = { audience, hashedTraitKeys: { emailKeys: config.IDENTITY_EMAIL_KEYS, phoneKeys: config.IDENTITY_PHONE_KEYS } };
  return {
    webhooks,
    destinations,
    audience,
    routes: async (app) => {
      await app.register(audienceRoutes, audienceDeps);
      await app.register(audienceExportRoute, audienceDeps);
    },
  };
}
