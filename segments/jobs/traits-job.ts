import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { compileTrait, traitQueryParams } from '../computed-traits/compile-trait.js';
import { currentTraits } from '../computed-traits/trait-store.js';
import { runJobSql } from './job-sql.js';
import type { JobDefinition } from './jobs.js';

/**
 * Computed traits: sql/jobs/traits.sql clears the as_of's snapshot, then every current definition's compiled
 * query (one scan of the events it matches) is inserted into computed_traits, one trait after another. The
 * summary lists each trait with its version, rows and time.
 */
export const traitsJob: JobDefinition = {
  dependsOn: [],
  table: 'computed_traits',
  async run({ clickhouse, database, config }, asOf) {
    await runJobSql(clickhouse, 'traits', database, { as_of: chTime(asOf) });
    const traits = [];
    for (const trait of await currentTraits(clickhouse, database)) {
      const started = performance.now();
      const compiled = compileTrait(trait, { database });
      await clickhouse.command({
        query: `INSERT INTO ${database}.computed_traits (as_of, trait_id, trait_version, profile_id, value_number, value_string, value_list)
SELECT {as_of:DateTime64(3, 'UTC')}, {trait_id:String}, {trait_version:UInt32}, profile_id, value_number, value_string, value_list
FROM (${compiled.sql})`,
        query_params: { ...traitQueryParams(compiled, chTime(asOf), config.SEGMENTS_TIME_ZONE), trait_id: trait.id, trait_version: trait.version },
      });
      traits.push({ id: trait.id, version: trait.version, kind: trait.kind, duration_ms: Math.round(performance.now() - started) });
    }
    const rs = await clickhouse.query({
      query: `SELECT trait_id, count() AS n FROM ${database}.computed_traits WHERE as_of = {as_of:DateTime64(3, 'UTC')} GROUP BY trait_id`,
      query_params: { as_of: chTime(asOf) },
      format: 'JSONEachRow',
    });
    const rows = new Map((await rs.json<{ trait_id: string; n: string | number }>()).map((r) => [r.trait_id, Number(r.n)]));
    return { traits: traits.map((t) => ({ ...t, rows: rows.get(t.id) ?? 0 })) };
  },
};
