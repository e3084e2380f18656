import { installationHasher } from '../../../identity/installation-hasher.js';
import type { SuppressionHasher } from '../../../identity/suppression-hash.js';
import { migrateSuppression } from '../../../identity/suppression-migration.js';
import type { ClickHouseClient } from '../../clickhouse/client.js';
import { clusterOf } from '../../clickhouse/cluster-ddl.js';
import { migrate } from '../../clickhouse/migrations.js';
import { createSqlRunner, type SqlRunner } from '../../clickhouse/sql-runner.js';
import { ownClickHouse, type Base } from './base.js';

// Holding ClickHouse: the connections and keyed hashing shared by every capability that needs ClickHouse.

export interface HeldClickHouse {
  /** The main connection: migrations, stores, the readiness check. */
  admin: ClickHouseClient;
  /** Read-only queries (readonly = 2): the SQL console and previews of segment definitions. */
  sql: SqlRunner;
  /** Keys the hashes of deleted customers' identifiers (the installation secret). */
  hasher: SuppressionHasher;
}

/**
 * What holding ClickHouse takes before anything uses it: the migrations applied, and the suppression list in
 * its keyed form. Deleted customers' identifiers are kept as hashes keyed with the installation secret; where
 * this process resolves or deletes, entries of the earlier unkeyed form are converted before any load.
 */
export async function holdClickHouse(base: Base): Promise<HeldClickHouse> {
  const { config, log } = base;
  const admin = await ownClickHouse(base);
  await migrate(admin, config.CLICKHOUSE_DATABASE, log, clusterOf(config));
  const sql = await createSqlRunner(config);
  base.onClose(() => sql.close());
  const hasher = await installationHasher(config, base.appRedis);
  await migrateSuppression({ clickhouse: admin, redis: base.appRedis, database: config.CLICKHOUSE_DATABASE, graph: base.redisKeys.identity, hasher, log });
  return { admin, sql, hasher };
}
