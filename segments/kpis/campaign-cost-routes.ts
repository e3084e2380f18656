import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { campaignCosts, postCampaignCost } from './campaign-costs.js';

export interface CampaignCostRouteDeps {
  clickhouse: ClickHouseClient;
  database: string;
}

const params = z.strictObject({ name: z.string().min(1).max(200).describe('the campaign name, as events carry it in context.campaign.name') });
const costBody = z.strictObject({
  date: z.iso.date({ error: 'must be a date, YYYY-MM-DD (a local day in the time zone of the KPIs)' }),
  amount: z.number().min(0).max(1e12).describe('what the campaign cost that day'),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'must be a three-letter currency code such as EUR')
    .transform((c) => c.toUpperCase())
    .optional()
    .describe("ISO 4217; with SHOP_CURRENCY set, costs in another currency are left out of the KPIs"),
});
const cost = z.object({ campaign: z.string(), date: z.string(), currency: z.string(), amount: z.number(), posted_at: z.string(), posted_by: z.string() });

/** `POST /v1/campaigns/:name/costs` and `GET /v1/campaigns/:name/costs` (admin): the costs behind cost per order and ROI. */
export async function campaignCostRoutes(app: FastifyInstance, deps: CampaignCostRouteDeps): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.post(
    '/v1/campaigns/:name/costs',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['decision board'],
        summary: "Post a campaign's cost for a day",
        description: 'One amount per campaign, day and currency: posting the same day and currency again replaces it. Read by the next `kpis` run.',
        params,
        body: costBody,
        response: { 200: success({ cost }), ...failures(400, 401, 403, 500, 503) },
      },
    },
    async (request) => {
      const { date, amount, currency } = request.body;
      const posted = await postCampaignCost(deps.clickhouse, deps.database, { campaign: request.params.name, date, amount, currency: currency ?? '', posted_by: request.keyName ?? 'admin' });
      return { success: true as const, cost: posted };
    },
  );
  typed.get(
    '/v1/campaigns/:name/costs',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['decision board'],
        summary: "A campaign's posted costs",
        params,
        querystring: z.strictObject({}),
        response: { 200: success({ costs: z.array(cost).describe('by day') }), ...failures(400, 401, 403, 500, 503) },
      },
    },
    async (request) => ({ success: true as const, costs: await campaignCosts(deps.clickhouse, deps.database, request.params.name) }),
  );
}
