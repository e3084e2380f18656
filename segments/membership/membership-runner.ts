import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { Config } from '../../pipeline/core/config.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { Logger } from '../../pipeline/core/logger.js';
import type { Metrics } from '../../pipeline/core/metrics.js';
import type { SqlRunner } from '../../pipeline/clickhouse/sql-runner.js';
import { analystMembersQuery, checkAnalystSql } from '../definition/analyst-sql.js';
import { compileConditions, queryParams } from '../definition/compile-conditions.js';
import { referencedSegments } from '../definition/segment-definition.js';
import { SegmentNotFoundError } from '../errors/segment-not-found-error.js';
import { recordRun } from '../jobs/job-runs.js';
import { oneAtATime } from '../../pipeline/core/one-at-a-time.js';
import type { Segment, SegmentStore } from '../segment-store.js';
import { lastCommittedRuns } from './committed-run.js';

/** What a committed run hands to whoever reacts to membership changes (webhook destinations). */
export interface SegmentRunCommitted {
  segmentId: string;
  seq: number;
  version: number;
  /** epoch ms */
  asOf: number;
  size: number;
  entered: number;
  exited: number;
}

export interface SegmentRunSummary {
  segment_id: string;
  seq: number;
  version: number;
  as_of: string;
  size: number;
  entered: number;
  exited: number;
  duration_ms: number;
}

export interface MembershipRunner {
  /** Recomputes one segment's members as of a time (epoch ms) and records who entered and who left. */
  run(segmentId: string, asOf: number): Promise<SegmentRunSummary>;
  /** Every segment, the ones another segment reads first. */
  runAll(asOf: number): Promise<SegmentRunSummary[]>;
}

export interface MembershipRunnerDeps {
  clickhouse: ClickHouseClient;
  /** The readonly = 1 connection analyst SQL segments run on. */
  analystSql: SqlRunner;
  store: SegmentStore;
  config: Config;
  log: Logger;
  metrics?: Metrics;
  onSegmentRun?: (run: SegmentRunCommitted) => Promise<void>;
}

/**
 * The membership job. Each run of a segment gets the next seq; its entered/exited rows go to segment_changes
 * (which feeds segment_membership through a materialised view) in one INSERT ... SELECT that compares the new
 * member set with the current one, and the run becomes visible when its segment_runs row is written. A run
 * that dies before that leaves rows under a seq nobody committed; the next run deletes them first. Running
 * the same as_of again finds nothing to change. Runs are serialised in this process.
 */
export function createMembershipRunner(deps: MembershipRunnerDeps): MembershipRunner {
  const { clickhouse, config, log, metrics } = deps;
  const db = config.CLICKHOUSE_DATABASE;

  const first = async <T>(query: string, params: Record<string, unknown>): Promise<T | undefined> =>
    (await (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>())[0];

  async function lastRun(segmentId: string): Promise<{ seq: number; size: number }> {
    const last = (await lastCommittedRuns(clickhouse, db, [segmentId])).get(segmentId);
    return { seq: last?.seq ?? 0, size: last?.size ?? 0 };
  }

  async function clearUncommitted(segmentId: string, committed: number): Promise<void> {
    const params = { id: segmentId, seq: committed };
    const left = await first<{ n: string }>(`SELECT count() AS n FROM ${db}.segment_changes WHERE segment_id = {id:String} AND seq > {seq:UInt64}`, params);
    if (Number(left?.n ?? 0) === 0) return;
    log.warn({ segmentId, after: committed, rows: Number(left?.n) }, 'removing the changes of a run that did not commit');
    // segment_membership is a ReplacingMergeTree: a background merge may already have collapsed a profile's
    // committed row into the dead run's row. The change log never collapses, so the committed state of every
    // profile the dead run touched is written again first (same seq: the same row), then the dead rows go.
    await clickhouse.command({
      query: `INSERT INTO ${db}.segment_membership (segment_id, profile_id, seq, version, is_member, since)
SELECT segment_id, profile_id, max(seq) AS last_seq, argMax(version, seq) AS last_version, toUInt8(argMax(change, seq) = 'entered') AS member, argMax(as_of, seq) AS last_as_of
FROM ${db}.segment_changes
WHERE segment_id = {id:String} AND seq <= {seq:UInt64}
  AND profile_id IN (SELECT profile_id FROM ${db}.segment_changes WHERE segment_id = {id:String} AND seq > {seq:UInt64})
GROUP BY segment_id, profile_id`,
      query_params: params,
    });
    for (const table of ['segment_changes', 'segment_membership']) {
      await clickhouse.command({ query: `ALTER TABLE ${db}.${table} DELETE WHERE segment_id = {id:String} AND seq > {seq:UInt64}`, query_params: params, clickhouse_settings: { mutations_sync: '2' } });
    }
  }

  /** The query listing the new members, and its parameters. Analyst SQL is first run read-only and staged. */
  async function newMembers(segment: Segment, seq: number, asOf: number): Promise<{ sql: string; params: Record<string, unknown> }> {
    if (segment.conditions) {
      const compiled = compileConditions(segment.conditions, { database: db });
      return { sql: compiled.sql, params: queryParams(compiled, chTime(asOf), config.SEGMENTS_TIME_ZONE) };
    }
    // Checked again at each run: what was saved under an older check must pass today's.
    const ids = (await deps.analystSql.run(analystMembersQuery(await checkAnalystSql(deps.analystSql, segment.sql!)))).map((r) => String(r.profile_id));
    for (let i = 0; i < ids.length; i += 100_000) {
      await clickhouse.insert({
        table: `${db}.segment_staging`,
        values: ids.slice(i, i + 100_000).map((profile_id) => ({ segment_id: segment.id, seq, profile_id })),
        format: 'JSONEachRow',
      });
    }
    return { sql: `SELECT profile_id FROM ${db}.segment_staging WHERE segment_id = {sid:String} AND seq = {seq:UInt64}`, params: {} };
  }

  async function runOne(segment: Segment, asOf: number): Promise<SegmentRunSummary> {
    const segmentId = segment.id;
    const startedAt = Date.now();
    const job = `segment:${segmentId}`;
    const runId = await recordRun(clickhouse, db, { job, asOf, startedAt, status: 'running' });
    const end = metrics?.jobSeconds.startTimer({ job: 'segment' });
    try {
      const last = await lastRun(segmentId);
      await clearUncommitted(segmentId, last.seq);
      const seq = last.seq + 1;
      const members = await newMembers(segment, seq, asOf);
      // One pass over the new and the current members: a profile in only one of the two entered or left.
      await clickhouse.command({
        query: `INSERT INTO ${db}.segment_changes (segment_id, seq, version, as_of, profile_id, change)
SELECT {sid:String}, {seq:UInt64}, {version:UInt32}, {as_of:DateTime64(3, 'UTC')}, profile_id, if(in_new, 'entered', 'exited')
FROM
(
    SELECT profile_id, max(side = 1) AS in_new, max(side = 2) AS in_old
    FROM
    (
        SELECT profile_id, 1 AS side FROM (${members.sql})
        UNION ALL
        SELECT profile_id, 2 AS side FROM ${db}.segment_members_current WHERE segment_id = {sid:String}
    )
    GROUP BY profile_id
)
WHERE in_new != in_old`,
        query_params: { ...members.params, sid: segmentId, seq, version: segment.version, as_of: chTime(asOf) },
      });
      const counts = await first<{ entered: string; exited: string }>(
        `SELECT countIf(change = 'entered') AS entered, countIf(change = 'exited') AS exited FROM ${db}.segment_changes WHERE segment_id = {sid:String} AND seq = {seq:UInt64}`,
        { sid: segmentId, seq },
      );
      const entered = Number(counts?.entered ?? 0);
      const exited = Number(counts?.exited ?? 0);
      const size = last.size + entered - exited;
      const finishedAt = Date.now();
      await clickhouse.insert({
        table: `${db}.segment_runs`,
        values: [{ segment_id: segmentId, seq, version: segment.version, run_id: runId, as_of: chTime(asOf), size, entered, exited, started_at: chTime(startedAt), finished_at: chTime(finishedAt) }],
        format: 'JSONEachRow',
      });
      const summary: SegmentRunSummary = { segment_id: segmentId, seq, version: segment.version, as_of: new Date(asOf).toISOString(), size, entered, exited, duration_ms: finishedAt - startedAt };
      await recordRun(clickhouse, db, { runId, job, asOf, startedAt, finishedAt, status: 'succeeded', rows: size, summary });
      metrics?.jobRuns.inc({ job: 'segment', status: 'succeeded' });
      log.info(summary, 'segment membership updated');
      // The run is committed whatever happens next; a failure to hand it on is logged, not a failed run.
      await deps.onSegmentRun?.({ segmentId, seq, version: segment.version, asOf, size, entered, exited }).catch((err: unknown) => log.error({ segmentId, seq, err }, 'could not hand the run to its destinations'));
      return summary;
    } catch (err) {
      metrics?.jobRuns.inc({ job: 'segment', status: 'failed' });
      await recordRun(clickhouse, db, { runId, job, asOf, startedAt, finishedAt: Date.now(), status: 'failed', error: (err as Error).message }).catch(() => {});
      log.error({ segmentId, err }, 'segment membership run failed');
      throw err;
    } finally {
      end?.();
    }
  }

  const serial = oneAtATime();

  return {
    run: (segmentId, asOf) =>
      serial(async () => {
        const segment = await deps.store.get(segmentId);
        if (!segment) throw new SegmentNotFoundError(segmentId);
        return runOne(segment, asOf);
      }),
    runAll: (asOf) =>
      serial(async () => {
        const out: SegmentRunSummary[] = [];
        for (const segment of dependencyOrder(await deps.store.list())) out.push(await runOne(segment, asOf));
        return out;
      }),
  };
}

/** Segments ordered so that each comes after the segments its conditions read (cycles are refused at save). */
export function dependencyOrder(segments: Segment[]): Segment[] {
  const byId = new Map(segments.map((s) => [s.id, s]));
  const done = new Set<string>();
  const out: Segment[] = [];
  const visit = (s: Segment) => {
    if (done.has(s.id)) return;
    done.add(s.id);
    for (const ref of s.conditions ? referencedSegments(s.conditions) : []) {
      const dep = byId.get(ref);
      if (dep) visit(dep);
    }
    out.push(s);
  };
  segments.forEach(visit);
  return out;
}
