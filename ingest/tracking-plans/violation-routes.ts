import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { resourceId } from '../../pipeline/core/resource-id.js';
import { MAX_GROUPS, violationSummary } from './violation-summary.js';

export interface ViolationRouteDeps {
  clickhouse: ClickHouseClient;
  database: string;
}

const DEFAULT_WINDOW_MS = 86_400_000;

const params = z.object({ id: resourceId.describe('the tracking plan') });
const query = z.object({
  since: z.iso
    .datetime({ offset: true, error: 'since must be an ISO 8601 date-time with an offset, e.g. 2026-11-01T00:00:00Z' })
    .optional()
    .describe('default: 24 hours ago'),
});
const reply = success({
  plan_id: z.string(),
  since: z.string(),
  total: z.number().describe('violations recorded since `since`'),
  by_violation: z.array(z.object({ violation: z.string(), count: z.number() })).describe('totals by violation type, most frequent first'),
  counts: z
    .array(
      z.object({
        type: z.string(),
        event: z.string().describe('the event name of a track; empty for the other types'),
        violation: z.string(),
        path: z.string().describe('the JSON path of the property or trait'),
        count: z.number(),
        example_message_id: z.string(),
        example_message: z.string().describe("the schema's message for the example"),
      }),
    )
    .describe(`by event, violation and path, most frequent first (at most ${MAX_GROUPS})`),
});

/**
 * `GET /v1/tracking-plans/:id/violations?since=ISO` (read key): what a plan found in the events it accepted,
 * from tracking_violations. A plan that found nothing, or that does not exist, answers empty counts: the
 * violations outlive the plan's versions, and even the plan (they are kept 90 days).
 */
export async function violationRoutes(app: FastifyInstance, deps: ViolationRouteDeps): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/tracking-plans/:id/violations',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['tracking plans'],
        summary: "A tracking plan's violations",
        description: 'Violations recorded since `since`: counts by event, violation and path, each with one example message id, and totals by violation type.',
        params,
        querystring: query,
        response: { 200: reply, ...failures(400, 500, 503) },
      },
    },
    async (request) => {
      const since = request.query.since === undefined ? Date.now() - DEFAULT_WINDOW_MS : Date.parse(request.query.since);
      return { success: true as const, ...(await violationSummary(deps.clickhouse, deps.database, request.params.id, since)) };
    },
  );
}
