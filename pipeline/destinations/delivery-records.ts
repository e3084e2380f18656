import type { ClickHouseClient } from '../clickhouse/client.js';
import { chTime } from '../clickhouse/ch-time.js';
import type { Logger } from '../core/logger.js';

/** A finished delivery, as destination_deliveries keeps it. */
export interface DeliveryRecord {
  delivery_id: string;
  destination_id: string;
  events: number;
  status: 'delivered' | 'dead_letter' | 'gone';
  http_status: number;
  attempts: number;
  first_attempt_at: number;
  delivered_at: number | null;
  error: string;
}

export interface DeliveryRecords {
  add(record: DeliveryRecord): void;
  /** Writes what is held. */
  close(): Promise<void>;
}

const FLUSH_MS = 1000;

/**
 * Writes delivery records to destination_deliveries in one insert a second: a record is an account of a
 * delivery, never a condition of it, so a failed write is logged and dropped rather than holding deliveries up.
 */
export function deliveryRecords(clickhouse: ClickHouseClient, database: string, log: Logger): DeliveryRecords {
  let held: DeliveryRecord[] = [];
  let writing: Promise<void> = Promise.resolve();
  const flush = () => {
    const rows = held;
    held = [];
    if (rows.length === 0) return writing;
    writing = writing.then(async () => {
      try {
        await clickhouse.insert({
          table: `${database}.destination_deliveries`,
          values: rows.map((r) => ({ ...r, first_attempt_at: chTime(r.first_attempt_at), delivered_at: r.delivered_at === null ? null : chTime(r.delivered_at) })),
          format: 'JSONEachRow',
        });
      } catch (err) {
        log.warn({ err: (err as Error).message, rows: rows.length }, 'destination delivery records not written');
      }
    });
    return writing;
  };
  const timer = setInterval(() => void flush(), FLUSH_MS);
  timer.unref();
  return {
    add: (record) => void held.push(record),
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
