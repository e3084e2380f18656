import { readFileSync } from 'node:fs';
import path from 'node:path';
import { survivingProfile } from '../../identity/surviving-profile.js';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { splitStatements } from '../../pipeline/clickhouse/migrations.js';
import { projectRoot } from '../../pipeline/core/project-root.js';

/**
 * The statements of sql/jobs/<name>.sql for a database; values are bound as query parameters, never spliced.
 * The surviving-profile rule (identity/surviving-profile.ts) is written `{{survivor:a}}`, the surviving profile
 * id of the rows `a`, with `{{override:a}}`, the join it needs, after `FROM <table> AS a`.
 */
export function jobStatements(name: string, database: string, fragments: Record<string, string> = {}): string[] {
  const dir = path.join(projectRoot(), 'sql', 'jobs');
  // A query several statements share is written once in sql/jobs/parts/ and placed with `{{part:<name>}}`
  // (its comment lines dropped, so that splitting the statements is not confused by them); a part may place
  // other parts.
  const withParts = (sql: string): string =>
    sql.replace(/\{\{part:([\w-]+)\}\}/g, (_, part: string) =>
      withParts(
        readFileSync(path.join(dir, 'parts', `${part}.sql`), 'utf8')
          .split('\n')
          .filter((line) => !line.startsWith('--'))
          .join('\n')
          .trim(),
      ),
    );
  const text = withParts(readFileSync(path.join(dir, `${name}.sql`), 'utf8'))
    // A query the product builds in TypeScript (the rule of an NPS answer, say, which the APIs share) is
    // placed with `{{fragment:<name>}}`.
    .replace(/\{\{fragment:(\w+)\}\}/g, (_, fragment: string) => {
      const sql = fragments[fragment];
      if (sql === undefined) throw new Error(`sql/jobs/${name}.sql places {{fragment:${fragment}}}, which its job does not give`);
      return sql;
    })
    .replace(/\{\{(survivor|override):(\w+)\}\}/g, (_, part: string, alias: string) => {
      const s = survivingProfile(database, alias, `${alias}_override`);
      return part === 'survivor' ? s.profileId : s.join;
    });
  return splitStatements(text.replaceAll('{{database}}', database));
}

/** A job's `DELETE FROM <table> WHERE as_of = {as_of}`: the clearing of its snapshot before a (re-)run. */
const CLEAR_SNAPSHOT = /^DELETE FROM (\S+) WHERE as_of = (\{as_of:DateTime64\(3, 'UTC'\)\})$/;

export async function runJobSql(clickhouse: ClickHouseClient, name: string, database: string, params: Record<string, unknown>, fragments: Record<string, string> = {}): Promise<void> {
  for (const query of jobStatements(name, database, fragments)) {
    // A DELETE is a mutation, waited for, that costs seconds even when nothing matches; the usual run (a
    // new as_of) has nothing to clear, which the primary key (as_of first) tells at once.
    const clear = CLEAR_SNAPSHOT.exec(query);
    if (clear) {
      const rs = await clickhouse.query({ query: `SELECT 1 FROM ${clear[1]} WHERE as_of = ${clear[2]} LIMIT 1`, query_params: params, format: 'JSONEachRow' });
      if ((await rs.json()).length === 0) continue;
    }
    await clickhouse.command({ query, query_params: params, clickhouse_settings: { mutations_sync: '2' } });
  }
}

export async function queryJobSql<T>(clickhouse: ClickHouseClient, name: string, database: string, params: Record<string, unknown>): Promise<T[]> {
  const [query] = jobStatements(name, database);
  return (await clickhouse.query({ query: query!, query_params: params, format: 'JSONEachRow' })).json<T>();
}
