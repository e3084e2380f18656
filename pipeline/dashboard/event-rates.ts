import { chTime } from '../clickhouse/ch-time.js';
import type { EpochMs, RejectedSeries } from './dashboard-types.js';
import { num, type DashboardReader } from './reader.js';

const MINUTE = 60_000;

export interface EventRates {
  minutes: EpochMs[];
  accepted: number[];
  accepted_total: number;
  rejected: RejectedSeries[];
}

/**
 * Accepted (events) and rejected (rejected_events, by reason) events per minute of arrival over the last
 * `hours`, zero-filled. rejected_events is partitioned and sorted by received_at, so its read is bounded;
 * events is sorted for profile reads, so its filter on received_at reads that one column.
 */
export async function eventRates(read: DashboardReader, database: string, hours: number, now: EpochMs): Promise<EventRates> {
  const first = Math.floor(now / MINUTE) * MINUTE - (hours * 60 - 1) * MINUTE;
  const minutes = Array.from({ length: hours * 60 }, (_, i) => first + i * MINUTE);
  const since = chTime(first);
  const [accepted, rejected] = await Promise.all([
    read<{ minute: unknown; n: unknown }>(
      `SELECT toUnixTimestamp64Milli(toStartOfMinute(received_at)::DateTime64(3, 'UTC')) AS minute, count() AS n
       FROM ${database}.events WHERE received_at >= {since:DateTime64(3, 'UTC')}
       GROUP BY minute ORDER BY minute`,
      { since },
    ),
    read<{ reason: string; minute: unknown; n: unknown }>(
      `SELECT reason, toUnixTimestamp64Milli(toStartOfMinute(received_at)::DateTime64(3, 'UTC')) AS minute, count() AS n
       FROM ${database}.rejected_events WHERE received_at >= {since:DateTime64(3, 'UTC')}
       GROUP BY reason, minute ORDER BY reason, minute`,
      { since },
    ),
  ]);
  const slot = (minute: unknown) => Math.round((num(minute) - first) / MINUTE);
  const acceptedCounts = new Array<number>(minutes.length).fill(0);
  for (const row of accepted) {
    const i = slot(row.minute);
    // Rows received "in the future" (another clock) fall outside the window's slots and are left out.
    if (i >= 0 && i < minutes.length) acceptedCounts[i] = num(row.n);
  }
  const byReason = new Map<string, number[]>();
  for (const row of rejected) {
    const i = slot(row.minute);
    if (i < 0 || i >= minutes.length) continue;
    let counts = byReason.get(row.reason);
    if (!counts) byReason.set(row.reason, (counts = new Array<number>(minutes.length).fill(0)));
    counts[i] = num(row.n);
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    minutes,
    accepted: acceptedCounts,
    accepted_total: sum(acceptedCounts),
    rejected: [...byReason].map(([reason, counts]) => ({ reason, counts, total: sum(counts) })).sort((a, b) => b.total - a.total),
  };
}
