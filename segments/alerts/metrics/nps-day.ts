import { npsAnswersSql, npsGroupSql } from '../../../identity/feedback/nps-answers.js';
import { queryRow, type MetricContext } from './metric-context.js';

/**
 * NPS of the local day (KPI_TIME_ZONE) that `at` falls in, up to `at`: 100 × (promoters − detractors) ÷
 * answers, each profile's latest answer of the day counting (ties by message id). No answer yet: no value.
 */
export async function npsDay(ctx: MetricContext, at: number): Promise<number | null> {
  const answers = npsAnswersSql(ctx.database, [
    `timestamp >= toStartOfDay(toDateTime({at:DateTime64(3, 'UTC')}, {tz:String}))`,
    `timestamp < {at:DateTime64(3, 'UTC')}`,
  ]);
  const row = await queryRow<{ answers: string; promoters: string; detractors: string }>(
    ctx,
    `SELECT count() AS answers, countIf(grp = 'promoter') AS promoters, countIf(grp = 'detractor') AS detractors
     FROM (SELECT ${npsGroupSql('argMax(score, (answered_at, message_id))')} AS grp FROM (${answers}) GROUP BY profile_id)`,
    at,
    { tz: ctx.timeZone },
  );
  const n = Number(row?.answers ?? 0);
  if (n === 0) return null;
  return (100 * (Number(row!.promoters) - Number(row!.detractors))) / n;
}
