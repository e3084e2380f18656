import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidRequestError } from '../../pipeline/core/errors/invalid-request-error.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { resourceId } from '../../pipeline/core/resource-id.js';
import { resourceWrites } from '../../pipeline/core/resource-routes.js';
import { SubscriptionGroupNotFoundError } from './errors/subscription-group-not-found-error.js';
import type { JsonHashStore } from './json-hash-store.js';
import { MESSAGE_CHANNELS } from './message-template.js';
import { groupContent, SUBSCRIPTION_TYPES, subscriptionGroupInput, type SubscriptionGroupInput } from './subscription-group.js';
import { MESSAGE_TAGS } from './template-routes.js';

const idParams = z.object({ id: resourceId });
const groupReply = z
  .object({
    id: z.string(),
    channel: z.enum(MESSAGE_CHANNELS),
    type: z.enum(SUBSCRIPTION_TYPES),
    consent_category: z.string().optional(),
    created_at: z.string(),
    updated_at: z.string(),
    updated_by: z.string(),
  })
  .meta({ id: 'SubscriptionGroup' });

/** Subscription groups: `POST /v1/subscription-groups`, `PUT|GET|DELETE /v1/subscription-groups/:id`, `GET /v1/subscription-groups`. */
export async function subscriptionGroupRoutes(app: FastifyInstance, deps: { groups: JsonHashStore<Omit<SubscriptionGroupInput, 'id'>> }): Promise<void> {
  const { groups } = deps;
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const content = ({ id: _id, ...g }: SubscriptionGroupInput) => groupContent(g);

  resourceWrites(app, {
    path: '/v1/subscription-groups',
    kind: 'subscription_group',
    tags: MESSAGE_TAGS,
    id: resourceId,
    input: subscriptionGroupInput,
    reply: groupReply,
    mismatch: (bodyId, id) => new InvalidRequestError(`id: the body's id "${bodyId}" is not the subscription group's ("${id}")`),
    newId: () => `grp_${randomBytes(6).toString('hex')}`,
    create: (id, input, request) => groups.create(id, content(input), request.keyName ?? 'admin'),
    put: (id, input, request) => groups.put(id, content(input), request.keyName ?? 'admin'),
  });

  typed.get(
    '/v1/subscription-groups',
    { config: { scope: 'read' }, schema: { tags: MESSAGE_TAGS, summary: 'List subscription groups', response: { 200: success({ subscription_groups: z.array(groupReply) }) } } },
    async () => ({ success: true as const, subscription_groups: await groups.list() }),
  );

  typed.get(
    '/v1/subscription-groups/:id',
    { config: { scope: 'read' }, schema: { tags: MESSAGE_TAGS, summary: 'Read a subscription group', params: idParams, response: { 200: success({ subscription_group: groupReply }), ...failures(400, 404) } } },
    async (request) => {
      const group = await groups.get(request.params.id);
      if (!group) throw new SubscriptionGroupNotFoundError(request.params.id);
      return { success: true as const, subscription_group: group };
    },
  );

  typed.delete(
    '/v1/subscription-groups/:id',
    { config: { scope: 'admin' }, schema: { tags: MESSAGE_TAGS, summary: 'Delete a subscription group', params: idParams, response: { 200: success({ deleted: z.string() }), ...failures(400, 404) } } },
    async (request) => {
      if (!(await groups.remove(request.params.id))) throw new SubscriptionGroupNotFoundError(request.params.id);
      return { success: true as const, deleted: request.params.id };
    },
  );
}
