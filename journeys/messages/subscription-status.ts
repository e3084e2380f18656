import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { profileIdsOf } from '../../identity/surviving-profile.js';

/** The track event that says whether a customer is in a subscription group (properties `group`, `subscribed`). */
export const SUBSCRIPTION_CHANGED = 'Subscription Changed';

/**
 * The customer's latest say on a group: `subscribed` of their latest `Subscription Changed` event for it (by
 * event time, then message id), over the events of the surviving profile and every profile merged into it;
 * undefined when they never said (or only with a `subscribed` that is not a boolean).
 */
export async function subscriptionStatus(clickhouse: ClickHouseClient, database: string, survivor: string, group: string): Promise<boolean | undefined> {
  const rs = await clickhouse.query({
    query: `SELECT JSONExtractBool(properties, 'subscribed') AS subscribed
FROM ${database}.events
WHERE profile_id IN (${profileIdsOf(database, 'SELECT {id:String} AS profile_id')})
  AND type = 'track' AND event = {event:String}
  AND JSONExtractString(properties, 'group') = {group:String}
  AND JSONType(properties, 'subscribed') = 'Bool'
ORDER BY timestamp DESC, message_id DESC
LIMIT 1`,
    query_params: { id: survivor, event: SUBSCRIPTION_CHANGED, group },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ subscribed: number | boolean }>();
  return row === undefined ? undefined : Boolean(row.subscribed);
}
