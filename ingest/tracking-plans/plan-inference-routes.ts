import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { INFERENCE } from './plan-inference.js';
import { inferPlanFromEvents, SAMPLE_LIMITS } from './plan-sample.js';

export interface PlanInferenceRouteDeps {
  clickhouse: ClickHouseClient;
  database: string;
}

const query = z.object({
  source: z.string().trim().min(1, 'source is required').max(200).describe("the write key's source name"),
  days: z.coerce.number().int().min(1).max(365).default(7).describe('1 to 365, default 7'),
});
const schema = z.record(z.string(), z.unknown());
const rule = z.looseObject({ type: z.string(), event: z.string().optional(), properties: schema.optional(), traits: schema.optional() });
const reply = success({
  plan: z
    .object({ name: z.string(), sources: z.array(z.string()), violations: z.string(), unplanned_events: z.string(), rules: z.array(rule) })
    .describe('the body of PUT /v1/tracking-plans/:id'),
  observed: z.array(z.object({ type: z.string(), event: z.string(), events: z.number(), sampled: z.number() })).describe('events seen per rule, and how many were read'),
});

/**
 * `GET /v1/tracking-plans/infer?source=&days=` (admin; `cdp plans infer`): a draft plan from the source's
 * events of the last days. Admin, as the SQL console: it reads the events' properties and traits.
 */
export async function planInferenceRoutes(app: FastifyInstance, deps: PlanInferenceRouteDeps): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/tracking-plans/infer',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['tracking plans'],
        summary: 'Infer a draft tracking plan',
        description:
          `A plan (violations and unplanned events allowed) from the source's events received in the last \`days\`: one rule per track event and per other type, ` +
          `types per property path, \`required\` for properties in at least ${INFERENCE.requiredShare * 100} % of the events, \`enum\` for strings of at most ` +
          `${INFERENCE.enumMaxValues} distinct values over at least ${INFERENCE.enumMinOccurrences}, \`format\` (date-time, email, uri) when every value matches. ` +
          `At most ${SAMPLE_LIMITS.eventsPerRule} events are read per rule.`,
        querystring: query,
        response: { 200: reply, ...failures(400, 500, 503) },
      },
    },
    async (request) => {
      const { source, days } = request.query;
      return { success: true as const, ...(await inferPlanFromEvents(deps.clickhouse, deps.database, { source, days, now: Date.now() })) };
    },
  );
}
