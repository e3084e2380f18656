import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { complaintStatesSql } from './complaint-states.js';
import { npsAnswersSql, npsGroupSql, type NpsGroup } from './nps-answers.js';

/** What a customer told the shop: their latest NPS answer's group and their complaints open now. */
export interface ProfileFeedback {
  /** The group of the latest NPS answer of the customer (any of their ids); null without one. */
  nps_group: NpsGroup | null;
  /** Complaints the customer opened that are open now. */
  open_complaints: number;
}

/** The feedback of the customer whose ids (the survivor and every id merged into it) are `ids`. */
export async function readProfileFeedback(clickhouse: ClickHouseClient, database: string, ids: readonly string[]): Promise<ProfileFeedback> {
  const rs = await clickhouse.query({
    query: `SELECT
  (SELECT argMax(${npsGroupSql('score')}, (answered_at, message_id)) FROM (${npsAnswersSql(database, ['profile_id IN {ids:Array(String)}'])}) HAVING count() > 0) AS nps_group,
  (SELECT count() FROM (${complaintStatesSql(database, 'now64(3)')}) WHERE state = 'open' AND profile_id IN {ids:Array(String)}) AS open_complaints`,
    query_params: { ids },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ nps_group: NpsGroup | null; open_complaints: string | number }>();
  return { nps_group: row?.nps_group ?? null, open_complaints: Number(row?.open_complaints ?? 0) };
}
