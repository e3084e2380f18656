import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidRequestError } from '../../pipeline/core/errors/invalid-request-error.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { resourceWrites } from '../../pipeline/core/resource-routes.js';
import { TrackingPlanNotFoundError } from './errors/tracking-plan-not-found-error.js';
import { planId, planRule, trackingPlanInput, VIOLATION_MODES } from './plan-definition.js';
import type { TrackingPlanStore } from './plan-store.js';

const TAGS = ['tracking plans'];
const idParams = z.object({ id: planId });

const planReply = z
  .object({
    id: z.string(),
    version: z.number().describe('every change stores a new version; the same body again keeps the version'),
    name: z.string(),
    sources: z.array(z.string()),
    violations: z.enum(VIOLATION_MODES),
    unplanned_events: z.enum(['allow', 'block']),
    rules: z.array(planRule),
    created_at: z.string(),
    created_by: z.string(),
  })
  .meta({ id: 'TrackingPlan', description: 'A tracking plan: the events its sources may send, checked at ingest' });

/**
 * Tracking plans: `POST /v1/tracking-plans`, `PUT|GET|DELETE /v1/tracking-plans/:id`, `GET /v1/tracking-plans`.
 * Reading takes a read key, writing an admin key. A schema ajv refuses answers 400 `invalid_tracking_plan` with
 * each problem at its path; a source another plan covers answers 409 `source_has_plan`.
 */
export async function trackingPlanRoutes(app: FastifyInstance, deps: { store: TrackingPlanStore }): Promise<void> {
  const { store } = deps;
  const typed = app.withTypeProvider<ZodTypeProvider>();

  resourceWrites(app, {
    path: '/v1/tracking-plans',
    kind: 'plan',
    tags: TAGS,
    id: planId,
    input: trackingPlanInput,
    reply: planReply,
    failures: [409],
    mismatch: (bodyId, id) => new InvalidRequestError(`id: the body's id "${bodyId}" is not the tracking plan's ("${id}")`),
    newId: () => `plan_${randomBytes(6).toString('hex')}`,
    create: (id, input, request) => store.create(id, input, request.keyName ?? 'admin'),
    put: async (id, input, request) => {
      const { plan, created } = await store.put(id, input, request.keyName ?? 'admin');
      return { resource: plan, created };
    },
  });

  typed.get(
    '/v1/tracking-plans',
    { config: { scope: 'read' }, schema: { tags: TAGS, summary: 'List tracking plans', description: 'Every plan, current version.', response: { 200: success({ plans: z.array(planReply) }) } } },
    async () => ({ success: true as const, plans: await store.list() }),
  );

  typed.get(
    '/v1/tracking-plans/:id',
    {
      config: { scope: 'read' },
      schema: { tags: TAGS, summary: 'Read a tracking plan', description: 'The current version.', params: idParams, response: { 200: success({ plan: planReply }), ...failures(400, 404) } },
    },
    async (request) => {
      const plan = await store.get(request.params.id);
      if (!plan) throw new TrackingPlanNotFoundError(request.params.id);
      return { success: true as const, plan };
    },
  );

  typed.delete(
    '/v1/tracking-plans/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Delete a tracking plan',
        description: 'Its sources go unchecked from the next few seconds on; recorded violations stay.',
        params: idParams,
        response: { 200: success({ deleted: z.string() }), ...failures(400, 404) },
      },
    },
    async (request) => {
      if (!(await store.remove(request.params.id, request.keyName ?? 'admin'))) throw new TrackingPlanNotFoundError(request.params.id);
      return { success: true as const, deleted: request.params.id };
    },
  );
}
