import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { STAGE_MEANING, LIFECYCLE_STAGES, type LifecycleStage } from '../customer-states.js';
import { type StageCount, type TransitionCell } from './customer-model-types.js';
import type { ReportReader } from './report-reader.js';

// The lifecycle read-outs: profiles per stage in one snapshot, and how profiles moved between two.

/** Profiles per stage in the snapshot taken as of `asOf` (none: every count 0), every stage listed. */
export async function stageCounts(read: ReportReader, database: string, asOf: number | null): Promise<StageCount[]> {
  const rows =
    asOf === null
      ? []
      : await read<{ stage: string; n: unknown }>(`SELECT stage, count() AS n FROM ${database}.lifecycle_stages WHERE as_of = {as_of:DateTime64(3, 'UTC')} GROUP BY stage`, { as_of: chTime(asOf) });
  const counts = new Map(rows.map((r) => [r.stage, Number(r.n)]));
  return LIFECYCLE_STAGES.map((stage) => ({ stage, meaning: STAGE_MEANING[stage], profiles: counts.get(stage) ?? 0 }));
}

const FROM_STAGES: (LifecycleStage | '')[] = ['', ...LIFECYCLE_STAGES];
const TO_STAGES: (LifecycleStage | '')[] = [...LIFECYCLE_STAGES, ''];

/**
 * The transition matrix between the snapshots taken as of `from` and `to`: every pair of stages (a profile
 * one snapshot does not hold is under ''), and the profiles reactivated (lost or at_risk → active or new) at
 * any snapshot after `from` up to `to`, from the transitions the lifecycle job records run by run, so that a
 * customer who lapsed and came back in between counts though both snapshots say active.
 */
export async function stageTransitions(read: ReportReader, database: string, from: number, to: number): Promise<{ transitions: TransitionCell[]; reactivated: number }> {
  const db = database;
  const params = { from: chTime(from), to: chTime(to) };
  const [pairs, reactivated] = await Promise.all([
    read<{ from_stage: string; to_stage: string; n: unknown }>(
      `SELECT f.stage AS from_stage, t.stage AS to_stage, count() AS n
       FROM (SELECT profile_id, stage FROM ${db}.lifecycle_stages WHERE as_of = {from:DateTime64(3, 'UTC')}) AS f
       FULL OUTER JOIN (SELECT profile_id, stage FROM ${db}.lifecycle_stages WHERE as_of = {to:DateTime64(3, 'UTC')}) AS t ON t.profile_id = f.profile_id
       GROUP BY from_stage, to_stage`,
      params,
    ),
    read<{ n: unknown }>(
      `SELECT uniqExact(profile_id) AS n FROM ${db}.lifecycle_transitions
       WHERE reactivated = 1 AND as_of > {from:DateTime64(3, 'UTC')} AND as_of <= {to:DateTime64(3, 'UTC')}
         AND as_of IN (SELECT as_of FROM ${db}.job_runs FINAL WHERE job = 'lifecycle' AND status = 'succeeded')`,
      params,
    ),
  ]);
  const counts = new Map(pairs.map((p) => [`${p.from_stage}>${p.to_stage}`, Number(p.n)]));
  const transitions = FROM_STAGES.flatMap((fromStage) =>
    TO_STAGES.filter((toStage) => fromStage !== '' || toStage !== '').map((toStage) => ({ from_stage: fromStage, to_stage: toStage, profiles: counts.get(`${fromStage}>${toStage}`) ?? 0 })),
  );
  return { transitions, reactivated: Number(reactivated[0]?.n ?? 0) };
}
