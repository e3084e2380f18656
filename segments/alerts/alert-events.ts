import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chMs, chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { AlertDeliveryData } from './alert-delivery-queue.js';
import type { AlertStateName } from './alert-types.js';

/** A recorded state change, as GET /v1/alerts/:id/events answers it. */
export interface AlertEvent {
  alert_id: string;
  version: number;
  state: AlertStateName;
  previous_state: AlertStateName;
  value: number | null;
  at: string;
  delivery_id: string;
  detail: Record<string, unknown>;
}

interface Row {
  alert_id: string;
  version: number;
  state: string;
  previous_state: string;
  value: number | null;
  at: string;
  delivery_id: string;
  detail: string;
}

/** Records a change in alert_events; recording it again (a retried evaluation) leaves one row, as (alert_id, at) names it. */
export async function recordAlertEvent(clickhouse: ClickHouseClient, database: string, deliveryId: string, change: AlertDeliveryData): Promise<void> {
  await clickhouse.insert({
    table: `${database}.alert_events`,
    values: [
      {
        alert_id: change.alert_id,
        version: change.version,
        state: change.state,
        previous_state: change.previous_state,
        value: change.value,
        at: chTime(change.at),
        delivery_id: deliveryId,
        detail: JSON.stringify(change.detail),
        recorded_at: chTime(Date.now()),
      },
    ],
    format: 'JSONEachRow',
  });
}

/** An alert's changes, newest first. */
export async function alertEvents(clickhouse: ClickHouseClient, database: string, alertId: string, limit: number): Promise<AlertEvent[]> {
  const rs = await clickhouse.query({
    query: `SELECT alert_id, version, state, previous_state, value, at, delivery_id, detail FROM ${database}.alert_events FINAL
            WHERE alert_id = {id:String} ORDER BY at DESC LIMIT {limit:UInt32}`,
    query_params: { id: alertId, limit },
    format: 'JSONEachRow',
  });
  return (await rs.json<Row>()).map((r) => ({
    alert_id: r.alert_id,
    version: Number(r.version),
    state: r.state as AlertStateName,
    previous_state: r.previous_state as AlertStateName,
    value: r.value === null ? null : Number(r.value),
    at: new Date(chMs(r.at)).toISOString(),
    delivery_id: r.delivery_id,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  }));
}
