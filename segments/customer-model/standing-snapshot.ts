import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { ReportReader } from './report-reader.js';

// Which snapshot of a job "stands" at a point in time: the latest successful run whose as_of is not after
// it, as a segment condition on a snapshot reads it. A bare date is a local calendar day in
// SEGMENTS_TIME_ZONE and stands at its end (the last snapshot taken that day or before); a date-time with an
// offset is an instant.

const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface Standing {
  /** The snapshot's as_of (epoch ms); null when none stands. */
  asOf: number | null;
  /** Snapshots before this instant (epoch ms) stand at the point; null for "now". */
  bound: number | null;
}

export interface Snapshots {
  points: Standing[];
  /** The job's first successful as_of (epoch ms), null before its first run. */
  first: number | null;
}

/** Each point (undefined: the latest snapshot), resolved in one query. */
export async function standingSnapshots(read: ReportReader, database: string, job: string, points: (string | undefined)[], timeZone: string): Promise<Snapshots> {
  const runs = `FROM ${database}.job_runs FINAL WHERE job = {job:String} AND status = 'succeeded'`;
  const params: Record<string, unknown> = { job, tz: timeZone };
  const columns = [`(SELECT toUnixTimestamp64Milli(minOrNull(as_of)) ${runs}) AS first`];
  points.forEach((point, i) => {
    if (point === undefined) {
      columns.push(`CAST(NULL AS Nullable(Int64)) AS bound${i}`, `(SELECT toUnixTimestamp64Milli(maxOrNull(as_of)) ${runs}) AS as_of${i}`);
      return;
    }
    let bound: string;
    if (BARE_DATE.test(point)) {
      params[`day${i}`] = point;
      // The start of the next local day: the day's snapshots are the ones before it.
      bound = `toDateTime64(toDate({day${i}:Date}) + 1, 3, {tz:String})`;
    } else {
      params[`at${i}`] = chTime(Date.parse(point) + 1);
      bound = `{at${i}:DateTime64(3, 'UTC')}`;
    }
    columns.push(`toUnixTimestamp64Milli(${bound}) AS bound${i}`, `(SELECT toUnixTimestamp64Milli(maxOrNull(as_of)) ${runs} AND as_of < ${bound}) AS as_of${i}`);
  });
  const [row] = await read<Record<string, unknown>>(`SELECT ${columns.join(', ')}`, params);
  const ms = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return { first: ms(row?.first), points: points.map((_, i) => ({ asOf: ms(row?.[`as_of${i}`]), bound: ms(row?.[`bound${i}`]) })) };
}
