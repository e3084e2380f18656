import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';

/** A campaign's cost on one local day in one currency ('' when posted without one). */
export interface CampaignCost {
  campaign: string;
  date: string;
  currency: string;
  amount: number;
  posted_at: string;
  posted_by: string;
}

/**
 * Records a campaign's cost for a day: one amount per campaign, day and currency, the latest posting
 * replacing an earlier one (campaign_costs is a ReplacingMergeTree on posted_at), so a retried post changes
 * nothing.
 */
export async function postCampaignCost(clickhouse: ClickHouseClient, db: string, cost: Omit<CampaignCost, 'posted_at'>, now = Date.now()): Promise<CampaignCost> {
  const row = { ...cost, posted_at: chTime(now) };
  await clickhouse.insert({ table: `${db}.campaign_costs`, values: [row], format: 'JSONEachRow' });
  return { ...cost, posted_at: new Date(now).toISOString() };
}

/** A campaign's costs, current postings only, by day. */
export async function campaignCosts(clickhouse: ClickHouseClient, db: string, campaign: string): Promise<CampaignCost[]> {
  const rs = await clickhouse.query({
    query: `SELECT campaign, toString(date) AS date, currency, toFloat64(amount) AS amount, posted_at, posted_by
            FROM ${db}.campaign_costs FINAL WHERE campaign = {campaign:String} ORDER BY date, currency`,
    query_params: { campaign },
    format: 'JSONEachRow',
  });
  return (await rs.json<CampaignCost>()).map((c) => ({ ...c, amount: Number(c.amount), posted_at: new Date(`${c.posted_at.replace(' ', 'T')}Z`).toISOString() }));
}
