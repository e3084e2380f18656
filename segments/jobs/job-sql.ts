import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from '../../pipeline/clickhouse.js';
import { splitStatements } from '../../pipeline/migrations.js';
import { projectRoot } from '../../pipeline/project-root.js';

/** The statements of sql/jobs/<name>.sql for a database; values are bound as query parameters, never spliced. */
export function jobStatements(name: string, database: string): string[] {
  const text = readFileSync(path.join(projectRoot(), 'sql', 'jobs', `${name}.sql`), 'utf8');
  return splitStatements(text.replaceAll('{{database}}', database));
}

export async function runJobSql(clickhouse: ClickHouseClient, name: string, database: string, params: Record<string, unknown>): Promise<void> {
  for (const query of jobStatements(name, database)) {
    await clickhouse.command({ query, query_params: params, clickhouse_settings: { mutations_sync: '2' } });
  }
}

export async function queryJobSql<T>(clickhouse: ClickHouseClient, name: string, database: string, params: Record<string, unknown>): Promise<T[]> {
  const [query] = jobStatements(name, database);
  return (await clickhouse.query({ query: query!, query_params: params, format: 'JSONEachRow' })).json<T>();
}
