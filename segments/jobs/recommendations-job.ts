import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { runJobSql } from './job-sql.js';
import type { JobDefinition } from './jobs.js';

/**
 * How many neighbours of each kind a product keeps (at least RECOMMENDATIONS_PER_PROFILE): a customer's
 * evidence is (products bought and viewed) × this, the bulk of the job's work. 20 scores as well as 50 on the
 * bench's catalogue (hit rate@5) at a third of the time.
 */
const NEIGHBOURS = 20;

/**
 * sql/jobs/recommendations.sql: item-to-item scores from co-purchase and view-then-buy (product_affinities),
 * then per customer the top RECOMMENDATIONS_PER_PROFILE products they have not bought, popular ones filling in.
 */
export const recommendationsJob: JobDefinition = {
  dependsOn: ['orders'],
  table: 'recommendations',
  async run({ clickhouse, database, config }, asOf) {
    const perProfile = config.RECOMMENDATIONS_PER_PROFILE;
    const viewDays = config.RECOMMENDATIONS_VIEW_WINDOW_DAYS;
    const params = { as_of: chTime(asOf), per_profile: perProfile, view_days: viewDays, neighbours: Math.max(NEIGHBOURS, perProfile) };
    await runJobSql(clickhouse, 'recommendations', database, params);
    const rs = await clickhouse.query({
      query: `SELECT
                (SELECT uniqExact(profile_id) FROM ${database}.recommendations WHERE as_of = {as_of:DateTime64(3, 'UTC')}) AS profiles,
                (SELECT uniqExact(profile_id) FROM ${database}.recommendations WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND reason != 'popular') AS personal_profiles,
                (SELECT count() FROM ${database}.product_affinities WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND kind = 'popular') AS products,
                (SELECT count() FROM ${database}.product_affinities WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND kind = 'bought_with') AS bought_with_pairs,
                (SELECT count() FROM ${database}.product_affinities WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND kind = 'viewed') AS viewed_pairs`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const [figures] = await rs.json<Record<string, string | number>>();
    return {
      per_profile: perProfile,
      view_window_days: viewDays,
      neighbours: params.neighbours,
      ...Object.fromEntries(Object.entries(figures ?? {}).map(([k, v]) => [k, Number(v)])),
    };
  },
};
