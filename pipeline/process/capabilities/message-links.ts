import { messageLinks } from '../../../journeys/messages/message-links.js';
import { messageLinkRoutes } from '../../../journeys/messages/message-link-routes.js';
import { installationSecret } from '../../core/installation-secret.js';
import type { LoadQueue } from '../../redis/load-queue.js';
import type { Base, Served } from './base.js';

/**
 * The links in messages (unsubscribe, open pixel, clicks), in every process: customers reach whichever API
 * process is in front, and the links need only the installation secret, Redis and the load queue. Where
 * ClickHouse is held, `survivorOf` moves a link's profile to the one it was merged into since the send.
 */
export function startMessageLinks(base: Base, deps: { queue: LoadQueue; publicUrl(): string; survivorOf?: (profileId: string) => Promise<string> }): Served {
  const links = messageLinks(installationSecret(base.config), deps.publicUrl);
  const events = { redis: base.appRedis, graph: base.redisKeys.identity, queue: deps.queue, config: base.config };
  return {
    routes: async (app) => {
      await app.register(messageLinkRoutes, { links, events, survivorOf: deps.survivorOf });
    },
  };
}
