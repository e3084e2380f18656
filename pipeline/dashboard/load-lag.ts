import { chTime } from '../clickhouse/ch-time.js';
import type { EpochMs, LoadLag } from './dashboard-types.js';
import { num, numOrNull, type DashboardReader } from './reader.js';

const WINDOW_MINUTES = 15;

/**
 * Time from the API receiving an event to its row being inserted (loaded_at − received_at), over events
 * received in the last minutes. Read from the table rather than this process's histogram, so it covers every
 * worker process and says nothing when nothing arrived.
 */
export async function loadLag(read: DashboardReader, database: string, now: EpochMs): Promise<LoadLag> {
  const [row] = await read<{ events: unknown; p50: unknown; p95: unknown; max: unknown }>(
    `SELECT count() AS events,
            if(events = 0, NULL, quantileExact(0.5)(lag)) AS p50,
            if(events = 0, NULL, quantileExact(0.95)(lag)) AS p95,
            if(events = 0, NULL, max(lag)) AS max
     FROM (SELECT greatest(dateDiff('millisecond', received_at, loaded_at), 0) AS lag
           FROM ${database}.events WHERE received_at >= {since:DateTime64(3, 'UTC')})`,
    { since: chTime(now - WINDOW_MINUTES * 60_000) },
  );
  return {
    events: num(row?.events),
    window_minutes: WINDOW_MINUTES,
    p50_ms: numOrNull(row?.p50),
    p95_ms: numOrNull(row?.p95),
    max_ms: numOrNull(row?.max),
  };
}
