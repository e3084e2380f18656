import { isEmbedded } from '../../clickhouse/client.js';
import { clusterOf } from '../../clickhouse/cluster-ddl.js';
import { migrationPlan, migrationRecord } from '../../clickhouse/migrations.js';
import type { Config } from '../../core/config.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { moveToTagPerOwner } from '../../redis/key-layout-migration.js';
import { openedDirectly, serverOrDirect, type DirectData } from '../server-or-direct.js';
import { withRedis } from './with-redis.js';

const report = async ({ applied }: DirectData) => (applied.length === 0 ? 'schema is up to date' : `applied: ${applied.join(', ')}`);

/**
 * `cdp migrate`: applies sql/migrations/ (also done by `cdp start`, and by every command that opens the data),
 * then moves Redis keys named before each owner had its own hash tag (also done by `cdp start`).
 */
export async function migrateCommand(config: Config): Promise<string> {
  const log = createLogger(config);
  const schema = await migrateSchema(config, log);
  const keys = await withRedis(config, (redis) => moveToTagPerOwner(redis, config.QUEUE_PREFIX, log));
  return `${schema}\nRedis keys moved to a hash tag per owner: ${keys.moved}${keys.conflicts.length > 0 ? `; left in place, their new names holding other values: ${keys.conflicts.join(', ')}` : ''}`;
}

async function migrateSchema(config: Config, log: Logger): Promise<string> {
  // The one exception to the CLI's rule: with a ClickHouse server, `cdp migrate` is how an upgrade applies
  // its schema before its processes restart, while the old version still runs; migrations are idempotent and
  // the server takes a second client. Embedded, the running product holds the folder and migrated at start.
  if (!isEmbedded(config)) return openedDirectly(config, report, log);
  return serverOrDirect(config, {
    server: async () => 'a cdp server holds this data folder and applied the migrations when it started; nothing to do',
    direct: report,
    log,
  });
}

/**
 * `cdp migrate --print`: every statement `cdp migrate` would run against an empty database, in order, for this
 * configuration (one node, or CLICKHOUSE_CLUSTER's cluster DDL), from the files alone: nothing is opened or
 * connected to, so a DBA can review it and CI can check it. Against a migrated database only the migrations
 * missing from schema_migrations run.
 */
export function migratePrintCommand(config: Config): string {
  const database = config.CLICKHOUSE_DATABASE;
  const cluster = clusterOf(config);
  const plan = migrationPlan(database, cluster);
  const record = (m: Parameters<typeof migrationRecord>[0]) => {
    const r = migrationRecord(m);
    return `INSERT INTO ${database}.schema_migrations (version, name, checksum) VALUES (${r.version}, '${r.name}', '${r.checksum}')`;
  };
  const parts = [
    `-- cdp migrate, database ${database}, ${cluster ? `cluster ${cluster.name}, sharding key ${cluster.shardingKey}` : 'one node'}`,
    ...plan.bootstrap.map((s) => `${s};`),
    ...plan.migrations.map((m) => [`-- ${m.name}`, ...m.statements.map((s) => `${s};`), `${record(m)};`].join('\n\n')),
  ];
  return parts.join('\n\n');
}
