import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { InvalidRequestError } from '../../pipeline/core/errors/invalid-request-error.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { resourceId } from '../../pipeline/core/resource-id.js';
import { resourceWrites } from '../../pipeline/core/resource-routes.js';
import { checkDestinationUrl } from '../destinations/url-guard.js';
import { alertInput, type Alert, type AlertInput } from './alert-definition.js';
import { replayAlertDeliveries } from './alert-dead-letters.js';
import { DELIVERY_STATES, deliveryStates, type AlertDeliveryQueue } from './alert-delivery-queue.js';
import { alertEvents } from './alert-events.js';
import type { AlertStates } from './alert-states.js';
import { ALERT_STATES, THRESHOLD_OPS } from './alert-types.js';
import type { AlertStore } from './alert-store.js';
import { AlertNotFoundError } from './errors/alert-not-found-error.js';

export interface AlertRouteDeps {
  store: AlertStore;
  states: AlertStates;
  deliveries: AlertDeliveryQueue;
  clickhouse: ClickHouseClient;
  database: string;
  /** DESTINATIONS_ALLOW_PRIVATE: webhook URLs are not checked against private addresses. */
  allowPrivate: boolean;
}

const TAGS = ['alerts'];
const EVENTS_LIMIT = 1000;

const idParams = z.object({ id: resourceId });
const stateReply = z
  .object({
    state: z.enum(ALERT_STATES).describe('ok (never fired), firing, or resolved (fired, and no longer holds)'),
    since: z.string().nullable().describe('when it entered this state (the end of the minute evaluated); null while it never changed'),
    value: z.number().nullable().describe('the value in the last minute evaluated'),
    evaluated_at: z.string().nullable().describe('the end of the last minute evaluated'),
  })
  .meta({ id: 'AlertState' });
// z.object, not looseObject: a field the reply does not declare (the webhook's secret) is dropped, never sent.
const alertReply = z
  .object({
    id: z.string(),
    version: z.number().describe('every change stores a new version'),
    name: z.string(),
    metric: z.string(),
    threshold: z.object({ op: z.enum(THRESHOLD_OPS), value: z.number(), for_minutes: z.number() }).optional(),
    anomaly: z.object({ sensitivity: z.number(), min_change: z.number() }).optional(),
    webhook: z.object({ url: z.string() }),
    created_at: z.string(),
    created_by: z.string(),
    state: stateReply.optional().describe('its live state (in the list and a read)'),
  })
  .meta({ id: 'Alert', description: 'A metric watched every minute against a threshold or its own history; each state change is POSTed, signed, to its webhook' });
const eventReply = z.object({
  alert_id: z.string(),
  version: z.number().describe('the version that was evaluated'),
  state: z.enum(ALERT_STATES),
  previous_state: z.enum(ALERT_STATES),
  value: z.number().nullable(),
  at: z.string().describe('the end of the minute evaluated'),
  delivery_id: z.string().describe('x-cdp-delivery of the webhook request carrying it'),
  delivery_state: z.enum(DELIVERY_STATES).describe('waiting, active, delayed (being retried), completed, failed (dead-lettered: POST /v1/alerts/:id/replay), unknown (completed more than a day ago)'),
  detail: z.record(z.string(), z.unknown()).describe('the condition and, for an anomaly, its baseline (kind weekly or trailing, points, median, mad)'),
});

/**
 * Alerts (admin key for all): `POST /v1/alerts`, `PUT|GET|DELETE /v1/alerts/:id`, `GET /v1/alerts` (with their
 * live states), `GET /v1/alerts/:id/versions`, `GET /v1/alerts/:id/events` (the recorded state changes, with
 * where each delivery stands), `POST /v1/alerts/:id/replay` (dead-lettered changes sent again).
 */
export async function alertRoutes(app: FastifyInstance, deps: AlertRouteDeps): Promise<void> {
  const { store, states } = deps;
  const typed = app.withTypeProvider<ZodTypeProvider>();
  // The destinations' rule: a webhook URL chosen by an API caller must not reach into the installation's network.
  const checkUrl = async (input: AlertInput) => {
    if (!deps.allowPrivate) await checkDestinationUrl(input.webhook.url);
  };
  const withStates = async (alerts: Alert[]) => {
    const live = await states.read(alerts.map((a) => a.id));
    return alerts.map((a) => ({ ...a, state: live.get(a.id)! }));
  };

  resourceWrites(app, {
    path: '/v1/alerts',
    kind: 'alert',
    tags: TAGS,
    id: resourceId,
    input: alertInput,
    reply: alertReply,
    mismatch: (bodyId, id) => new InvalidRequestError(`id: the body's id "${bodyId}" is not the alert's ("${id}")`),
    newId: () => `alert_${randomBytes(6).toString('hex')}`,
    create: async (id, input, request) => {
      await checkUrl(input);
      return store.create(id, input, request.keyName ?? 'admin');
    },
    put: async (id, input, request) => {
      await checkUrl(input);
      const { alert, created } = await store.put(id, input, request.keyName ?? 'admin');
      return { resource: alert, created };
    },
  });

  typed.get(
    '/v1/alerts',
    {
      config: { scope: 'admin' },
      schema: { tags: TAGS, summary: 'List alerts', description: 'Every alert, current version, with its live state: what is firing.', response: { 200: success({ alerts: z.array(alertReply) }) } },
    },
    async () => ({ success: true as const, alerts: await withStates(await store.list()) }),
  );

  typed.get(
    '/v1/alerts/:id',
    { config: { scope: 'admin' }, schema: { tags: TAGS, summary: 'Read an alert', description: 'The current version, with its live state.', params: idParams, response: { 200: success({ alert: alertReply }), ...failures(400, 404) } } },
    async (request) => {
      const alert = await store.get(request.params.id);
      if (!alert) throw new AlertNotFoundError(request.params.id);
      return { success: true as const, alert: (await withStates([alert]))[0]! };
    },
  );

  typed.get(
    '/v1/alerts/:id/versions',
    { config: { scope: 'admin' }, schema: { tags: TAGS, summary: "An alert's versions", description: 'Every version, newest first, also after a deletion.', params: idParams, response: { 200: success({ versions: z.array(alertReply) }), ...failures(400, 404) } } },
    async (request) => {
      const versions = await store.versions(request.params.id);
      if (versions.length === 0) throw new AlertNotFoundError(request.params.id);
      return { success: true as const, versions };
    },
  );

  typed.get(
    '/v1/alerts/:id/events',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: "An alert's state changes",
        description: 'Newest first, as recorded in alert_events and sent to its webhook; also after a deletion.',
        params: idParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(EVENTS_LIMIT).default(100) }),
        response: { 200: success({ events: z.array(eventReply) }), ...failures(400, 404) },
      },
    },
    async (request) => {
      if ((await store.versions(request.params.id)).length === 0) throw new AlertNotFoundError(request.params.id);
      const events = await alertEvents(deps.clickhouse, deps.database, request.params.id, request.query.limit);
      const delivery = await deliveryStates(deps.deliveries, events.map((e) => e.delivery_id));
      return { success: true as const, events: events.map((e) => ({ ...e, delivery_state: delivery.get(e.delivery_id)! })) };
    },
  );

  typed.post(
    '/v1/alerts/:id/replay',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: "Send an alert's dead-lettered changes again",
        description: 'Every change of the alert whose delivery used up its attempts, or the one named by `delivery_id`, back in the queue under the same delivery id.',
        params: idParams,
        body: z.strictObject({ delivery_id: z.string().min(1).max(200).optional() }).nullish(),
        response: { 200: success({ replayed: z.number() }), ...failures(400, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await store.get(id))) throw new AlertNotFoundError(id);
      const deliveryId = request.body?.delivery_id;
      if (deliveryId !== undefined && !deliveryId.startsWith(`${id}.`)) throw new InvalidRequestError(`delivery_id: ${deliveryId} is not a delivery of alert ${id}`);
      return { success: true as const, ...(await replayAlertDeliveries(deps.deliveries, id, deliveryId)) };
    },
  );

  typed.delete(
    '/v1/alerts/:id',
    {
      config: { scope: 'admin' },
      schema: { tags: TAGS, summary: 'Delete an alert', description: 'It is no longer evaluated; changes not yet delivered are dropped. Its versions and events stay readable.', params: idParams, response: { 200: success({ deleted: z.string() }), ...failures(400, 404) } },
    },
    async (request) => {
      if (!(await store.remove(request.params.id, request.keyName ?? 'admin'))) throw new AlertNotFoundError(request.params.id);
      return { success: true as const, deleted: request.params.id };
    },
  );
}
