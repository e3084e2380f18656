import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';

// Which runs of a segment count. segment_runs is the commit record: a run's changes (segment_changes) count
// once its row is written, and a run that died before that left no row (the next run takes its seq and
// deletes what it left). So a run is committed when its row exists, and a segment's committed seq is the
// highest seq in segment_runs (0: none yet). Every reader of membership asks here.

/**
 * The last committed run of each segment whose id is in `segmentIds` (an SQL set, such as
 * `{ids:Array(String)}` or `({segment:String})`): segment_id, last_seq, last_size, last_as_of,
 * last_finished_at (not named after the columns: ClickHouse would read an alias `seq` inside argMax). A
 * segment with no committed run has no row.
 */
export function lastCommittedRunsSql(database: string, segmentIds: string): string {
  return `SELECT segment_id, max(seq) AS last_seq, argMax(size, seq) AS last_size, argMax(as_of, seq) AS last_as_of, argMax(finished_at, seq) AS last_finished_at
FROM ${database}.segment_runs WHERE segment_id IN ${segmentIds} GROUP BY segment_id`;
}

/** The committed seq of the segment `segmentId` (an SQL expression), 0 when it has no committed run: a scalar. */
export function committedSeqSql(database: string, segmentId: string): string {
  return `ifNull((SELECT last_seq FROM (${lastCommittedRunsSql(database, `(${segmentId})`)})), 0)`;
}

/** The committed runs of the segment `segmentId` (an SQL expression) whose seq meets `seqCondition`: seq, as_of. */
export function committedRunsSql(database: string, segmentId: string, seqCondition: string): string {
  return `SELECT seq, any(as_of) AS as_of FROM ${database}.segment_runs WHERE segment_id = ${segmentId} AND ${seqCondition} GROUP BY seq`;
}

export interface LastRun {
  seq: number;
  size: number;
  /** ClickHouse DateTime64 text, UTC. */
  as_of: string;
  finished_at: string;
}

/** The last committed run of each segment named that has one. */
export async function lastCommittedRuns(clickhouse: ClickHouseClient, database: string, segmentIds: string[]): Promise<Map<string, LastRun>> {
  if (segmentIds.length === 0) return new Map();
  const rs = await clickhouse.query({ query: lastCommittedRunsSql(database, '{ids:Array(String)}'), query_params: { ids: segmentIds }, format: 'JSONEachRow' });
  const rows = await rs.json<{ segment_id: string; last_seq: string; last_size: string; last_as_of: string; last_finished_at: string }>();
  return new Map(rows.map((r) => [r.segment_id, { seq: Number(r.last_seq), size: Number(r.last_size), as_of: r.last_as_of, finished_at: r.last_finished_at }]));
}
