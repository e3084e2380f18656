import { chTime } from '../clickhouse/ch-time.js';
import type { DataQuality, EpochMs, ExamplePayload, ViolationSeries } from './dashboard-types.js';
import { num, type DashboardReader } from './reader.js';

// The dashboard's data-quality panel: what tracking plans found over the last days (tracking_violations,
// written by the loader; rejected_events for what they refused), and the events and paths that offend most,
// each with an example payload read back from events.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How many offending events and paths are shown. */
export const TOP = 10;

/** Hourly buckets up to two days, daily beyond: about 48 points at most on the short windows. */
export function bucketOf(days: number): number {
  return days <= 2 ? HOUR : DAY;
}

export async function dataQuality(read: DashboardReader, database: string, days: number, now: EpochMs): Promise<DataQuality> {
  const bucketMs = bucketOf(days);
  const count = (days * DAY) / bucketMs;
  const first = Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs;
  const buckets = Array.from({ length: count }, (_, i) => first + i * bucketMs);
  const params = { since: chTime(first), top: TOP };
  const since = `received_at >= {since:DateTime64(3, 'UTC')}`;
  const start = bucketMs === HOUR ? 'toStartOfHour' : 'toStartOfDay';
  const [perBucket, blocked, events, paths] = await Promise.all([
    read<{ plan_id: string; violation: string; bucket: unknown; n: unknown }>(
      `SELECT plan_id, violation, toUnixTimestamp(${start}(received_at)) * 1000 AS bucket, count() AS n
       FROM ${database}.tracking_violations WHERE ${since}
       GROUP BY plan_id, violation, bucket ORDER BY plan_id, violation, bucket`,
      params,
    ),
    read<{ n: unknown }>(`SELECT count() AS n FROM ${database}.rejected_events WHERE reason = 'tracking_plan' AND ${since}`, params),
    read<{ plan_id: string; type: string; event: string; n: unknown; events: unknown; example: string }>(
      `SELECT plan_id, type, event, count() AS n, uniqExact(message_id) AS events, min(message_id) AS example
       FROM ${database}.tracking_violations WHERE ${since}
       GROUP BY plan_id, type, event ORDER BY n DESC, plan_id, type, event LIMIT {top:UInt32}`,
      params,
    ),
    read<{ plan_id: string; type: string; event: string; violation: string; path: string; n: unknown; example: string; message: string }>(
      `SELECT plan_id, type, event, violation, path, count() AS n, min(message_id) AS example, argMin(message, message_id) AS message
       FROM ${database}.tracking_violations WHERE ${since}
       GROUP BY plan_id, type, event, violation, path ORDER BY n DESC, plan_id, type, event, violation, path LIMIT {top:UInt32}`,
      params,
    ),
  ]);
  const example = await examplePayloads(read, database, [...events.map((e) => e.example), ...paths.map((p) => p.example)]);
  const series = new Map<string, ViolationSeries>();
  for (const row of perBucket) {
    const i = Math.round((num(row.bucket) - first) / bucketMs);
    // Violations received "in the future" (another clock) fall outside the buckets and are left out.
    if (i < 0 || i >= count) continue;
    const key = `${row.plan_id}\u0000${row.violation}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { plan_id: row.plan_id, violation: row.violation, counts: new Array<number>(count).fill(0), total: 0 }));
    s.counts[i] = num(row.n);
    s.total += num(row.n);
  }
  const ordered = [...series.values()].sort((a, b) => b.total - a.total || a.plan_id.localeCompare(b.plan_id) || a.violation.localeCompare(b.violation));
  return {
    days,
    bucket_ms: bucketMs,
    buckets,
    series: ordered,
    total: ordered.reduce((n, s) => n + s.total, 0),
    blocked: num(blocked[0]?.n),
    top_events: events.map((e) => ({ plan_id: e.plan_id, type: e.type, event: e.event, violations: num(e.n), events: num(e.events), example: example(e.example) })),
    top_paths: paths.map((p) => ({
      plan_id: p.plan_id,
      type: p.type,
      event: p.event,
      violation: p.violation,
      path: p.path,
      violations: num(p.n),
      message: p.message,
      example: example(p.example),
    })),
  };
}

/** The payloads of these messages from events (a bloom-filter index on message_id), as a lookup. */
async function examplePayloads(read: DashboardReader, database: string, ids: string[]): Promise<(id: string) => ExamplePayload> {
  const unique = [...new Set(ids)];
  const rows =
    unique.length === 0
      ? []
      : await read<{ message_id: string; type: string; properties: string; traits: string }>(
          `SELECT message_id, type, properties, traits FROM ${database}.events WHERE message_id IN {ids:Array(String)} LIMIT 1 BY message_id`,
          { ids: unique },
        );
  const payloads = new Map(rows.map((r) => [r.message_id, parsedObject(r.type === 'identify' || r.type === 'group' ? r.traits : r.properties)]));
  return (id) => ({ message_id: id, payload: payloads.get(id) ?? null });
}

function parsedObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
