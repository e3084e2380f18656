import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import type { Logger } from '../pipeline/core/logger.js';
import type { IdentityGraphKeys } from '../pipeline/redis/key-names.js';
import { LEGACY_SCHEME, SUPPRESSION_SCHEME, type SuppressionHasher } from './suppression-hash.js';
import type { RedisClient } from '../pipeline/redis/connection.js';

// Suppressed identifiers kept before the installation secret existed are unkeyed SHA-1 hashes; the
// identifiers themselves are gone, so each hash is converted where it lies, to the keyed hash of that
// SHA-1 (which is what identity/suppression-hash.ts computes for an identifier). Run at every start, before
// any load: it finds nothing to do once done, and a crash midway leaves rows that the next start converts.

const PAGE = 10_000;
const LEGACY_HEX = /^[0-9a-f]{40}$/;

export interface SuppressionMigration {
  /** Rows of `suppressed_identifiers` converted. */
  clickhouse: number;
  /** Members of the Redis suppression set converted. */
  redis: number;
}

/**
 * ClickHouse: a page of 'sha1' rows is inserted again as keyed rows, then deleted; a crash between the two
 * leaves both, and the next run inserts the same keyed rows again (the table collapses them) and deletes.
 * Redis: each batch of SHA-1 members is swapped for its keyed hashes in one MULTI, so no identifier is
 * ever in neither form.
 */
export async function migrateSuppression(opts: {
  clickhouse: ClickHouseClient;
  redis: RedisClient;
  database: string;
  graph: IdentityGraphKeys;
  hasher: SuppressionHasher;
  log: Logger;
}): Promise<SuppressionMigration> {
  const { clickhouse, redis, database, hasher } = opts;
  const out: SuppressionMigration = { clickhouse: 0, redis: 0 };
  for (;;) {
    const rs = await clickhouse.query({
      query: `SELECT identifier_hash AS h, min(suppressed_at) AS at FROM ${database}.suppressed_identifiers
              WHERE scheme = {legacy:String} GROUP BY identifier_hash ORDER BY identifier_hash LIMIT {page:UInt32}`,
      query_params: { legacy: LEGACY_SCHEME, page: PAGE },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ h: string; at: string }>();
    if (rows.length === 0) break;
    await clickhouse.insert({
      table: `${database}.suppressed_identifiers`,
      values: rows.map((r) => ({ identifier_hash: hasher.fromLegacy(r.h), suppressed_at: r.at, scheme: SUPPRESSION_SCHEME })),
      format: 'JSONEachRow',
    });
    await clickhouse.command({
      query: `ALTER TABLE ${database}.suppressed_identifiers DELETE WHERE scheme = {legacy:String} AND identifier_hash IN {hashes:Array(String)}`,
      query_params: { legacy: LEGACY_SCHEME, hashes: rows.map((r) => r.h) },
      clickhouse_settings: { mutations_sync: '2' },
    });
    out.clickhouse += rows.length;
  }

  const key = opts.graph.suppressed;
  let cursor = '0';
  do {
    const [next, members] = await redis.sscan(key, cursor, 'COUNT', 1000);
    cursor = next;
    const legacy = members.filter((m) => LEGACY_HEX.test(m));
    if (legacy.length === 0) continue;
    const results = await redis.multi().sadd(key, ...legacy.map((h) => hasher.fromLegacy(h))).srem(key, ...legacy).exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('the suppression set conversion was discarded');
    out.redis += legacy.length;
  } while (cursor !== '0');

  if (out.clickhouse > 0 || out.redis > 0) opts.log.info(out, 'suppressed identifiers converted to keyed hashes');
  return out;
}
