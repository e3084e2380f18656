import type { ProfileStore } from '../../../identity/profile-store.js';
import { createMessageSender } from '../../../journeys/messages/create-message-sender.js';
import { jsonHashStore } from '../../../journeys/messages/json-hash-store.js';
import { messageLinks } from '../../../journeys/messages/message-links.js';
import type { MessageSender } from '../../../journeys/messages/message-sender.js';
import { templateContent, type TemplateInput } from '../../../journeys/messages/message-template.js';
import { groupContent, type SubscriptionGroupInput } from '../../../journeys/messages/subscription-group.js';
import { subscriptionGroupRoutes } from '../../../journeys/messages/subscription-group-routes.js';
import { templateRoutes } from '../../../journeys/messages/template-routes.js';
import { installationSecret } from '../../core/installation-secret.js';
import type { EventDestinationStore } from '../../destinations/event-destination-store.js';
import type { EventQueues } from '../../destinations/event-queues.js';
import { ownClickHouse, type Base, type Served } from './base.js';

export interface Messages extends Served {
  /** What the journey engine's send steps send through. */
  sender: MessageSender;
}

/**
 * Messages, where ClickHouse is held: templates (`/v1/templates`) and subscription groups
 * (`/v1/subscription-groups`), and the MessageSender (channels, consent, frequency cap, quiet hours, the
 * `messages` table). `publicUrl` is where customers reach the product, for the links in messages.
 */
export async function startMessages(base: Base, deps: { profiles: ProfileStore; events: EventDestinationStore; queues: EventQueues; publicUrl(): string }): Promise<Messages> {
  const { config, appRedis } = base;
  const keys = base.redisKeys.messages;
  const templates = jsonHashStore<Omit<TemplateInput, 'id'>>(appRedis, keys.templates, 'template', '/v1/templates', templateContent);
  const groups = jsonHashStore<Omit<SubscriptionGroupInput, 'id'>>(appRedis, keys.subscriptionGroups, 'subscription group', '/v1/subscription-groups', groupContent);
  // Its own connection: sends read profiles and records while jobs and pages run on the others.
  const clickhouse = await ownClickHouse(base);
  const sender = createMessageSender({
    config,
    redis: appRedis,
    keys,
    clickhouse,
    database: config.CLICKHOUSE_DATABASE,
    profiles: deps.profiles,
    templates,
    groups,
    links: messageLinks(installationSecret(config), deps.publicUrl),
    destinations: deps.events,
    queueOf: deps.queues.of,
    log: base.log.child({ role: 'messages' }),
  });
  base.onClose(async () => sender.close());
  return {
    sender,
    routes: async (app) => {
      await app.register(templateRoutes, { templates, profiles: deps.profiles, publicUrl: deps.publicUrl });
      await app.register(subscriptionGroupRoutes, { groups });
    },
  };
}
