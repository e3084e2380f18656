import { chTime } from '../clickhouse/ch-time.js';
import type { EpochMs, SegmentSeries, SegmentSizes } from './dashboard-types.js';
import { num, type DashboardReader } from './reader.js';

// Enough points for a readable chart; a segment run every few minutes for 90 days would be far more.
const MAX_POINTS = 5000;

/** Size of each live segment at each of its runs over the last `days` (segment_runs), one series per segment. */
export async function segmentSizes(read: DashboardReader, database: string, days: number, now: EpochMs): Promise<SegmentSizes> {
  const rows = await read<{ segment_id: string; name: string; as_of: unknown; size: unknown }>(
    `SELECT r.segment_id AS segment_id, s.name AS name, toUnixTimestamp64Milli(r.as_of) AS as_of, r.size AS size
     FROM ${database}.segment_runs AS r
     INNER JOIN ${database}.segments_current AS s ON s.segment_id = r.segment_id
     WHERE r.as_of >= {since:DateTime64(3, 'UTC')}
     ORDER BY r.as_of DESC LIMIT {limit:UInt32}`,
    { since: chTime(now - days * 86_400_000), limit: MAX_POINTS },
  );
  const series = new Map<string, SegmentSeries>();
  // Newest first above, so the LIMIT drops the oldest points; reversed here to draw left to right.
  for (const row of rows.reverse()) {
    let s = series.get(row.segment_id);
    if (!s) series.set(row.segment_id, (s = { segment_id: row.segment_id, name: row.name, points: [] }));
    s.points.push({ as_of: num(row.as_of), size: num(row.size) });
  }
  return { days, segments: [...series.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}
