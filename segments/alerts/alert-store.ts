import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chMs, chTime } from '../../pipeline/clickhouse/ch-time.js';
import { ResourceExistsError } from '../../pipeline/core/errors/resource-exists-error.js';
import { oneAtATime } from '../../pipeline/core/one-at-a-time.js';
import type { AlertKeys } from '../../pipeline/redis/key-names.js';
import { alertDefinition, definitionOf, type Alert, type AlertDefinition, type AlertInput } from './alert-definition.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';

export interface AlertStore {
  /** The current version of every alert (or of one). */
  list(): Promise<Alert[]>;
  get(id: string): Promise<Alert | undefined>;
  /** Every version of an alert, newest first (tombstones left out; a deleted alert's earlier versions stay). */
  versions(id: string): Promise<Alert[]>;
  /** The webhook's secret of an alert that exists. */
  secret(id: string): Promise<string | undefined>;
  /** Stores a new alert; an id in use is refused with ResourceExistsError (409). */
  create(id: string, input: AlertInput, by: string): Promise<Alert>;
  /** Creates the alert, or stores its next version; the current definition again makes none (a new secret is kept either way). */
  put(id: string, input: AlertInput, by: string): Promise<{ alert: Alert; created: boolean }>;
  /** Tombstones an alert and forgets its secret and live state; false when there was none. */
  remove(id: string, by: string): Promise<boolean>;
}

interface Row {
  alert_id: string;
  version: number;
  name: string;
  metric: string;
  definition: string;
  created_at: string;
  created_by: string;
  deleted: number;
}

function toAlert(row: Row): Alert {
  return {
    id: row.alert_id,
    version: Number(row.version),
    ...alertDefinition.parse(JSON.parse(row.definition)),
    created_at: new Date(chMs(row.created_at)).toISOString(),
    created_by: row.created_by,
  };
}

/**
 * Alert definitions, versioned in ClickHouse (table `alert_definitions`, view `alert_definitions_current`) as
 * computed traits are; each webhook's secret in Redis (as the destinations keep theirs), never in ClickHouse,
 * where analyst SQL could read it. Writes from one process are serialised.
 */
export function createAlertStore(deps: { clickhouse: ClickHouseClient; database: string; redis: RedisClient; keys: AlertKeys }): AlertStore {
  const { clickhouse, database: db, redis, keys } = deps;
  const serial = oneAtATime();

  const read = async (query: string, id?: string): Promise<Alert[]> => {
    const rs = await clickhouse.query({ query, query_params: id === undefined ? {} : { id }, format: 'JSONEachRow' });
    return (await rs.json<Row>()).map(toAlert);
  };
  const current = (id?: string) => read(`SELECT * FROM ${db}.alert_definitions_current${id === undefined ? '' : ' WHERE alert_id = {id:String}'} ORDER BY alert_id`, id);

  const lastVersion = async (id: string): Promise<number> => {
    const rs = await clickhouse.query({ query: `SELECT max(version) AS version FROM ${db}.alert_definitions WHERE alert_id = {id:String}`, query_params: { id }, format: 'JSONEachRow' });
    return Number((await rs.json<{ version: number }>())[0]?.version ?? 0);
  };

  async function write(id: string, definition: AlertDefinition, by: string, deleted = false): Promise<Alert> {
    const row: Row = {
      alert_id: id,
      version: (await lastVersion(id)) + 1,
      name: definition.name,
      metric: definition.metric,
      definition: JSON.stringify(definition),
      created_at: chTime(Date.now()),
      created_by: by,
      deleted: deleted ? 1 : 0,
    };
    await clickhouse.insert({ table: `${db}.alert_definitions`, values: [row], format: 'JSONEachRow' });
    return toAlert(row);
  }

  return {
    list: () => current(),
    get: async (id) => (await current(id))[0],
    versions: (id) => read(`SELECT * FROM ${db}.alert_definitions WHERE alert_id = {id:String} AND deleted = 0 ORDER BY version DESC`, id),
    async secret(id) {
      return (await redis.get(keys.secret(id))) ?? undefined;
    },
    create: (id, input, by) =>
      serial(async () => {
        if ((await current(id)).length > 0) throw new ResourceExistsError('alert', id, '/v1/alerts');
        // The secret first: an alert is never evaluated without one to sign with.
        await redis.set(keys.secret(id), input.webhook.secret);
        return write(id, definitionOf(input), by);
      }),
    put: (id, input, by) =>
      serial(async () => {
        const [existing] = await current(id);
        const definition = definitionOf(input);
        await redis.set(keys.secret(id), input.webhook.secret);
        if (existing && JSON.stringify(definitionOf(existing)) === JSON.stringify(definition)) return { alert: existing, created: false };
        return { alert: await write(id, definition, by), created: existing === undefined };
      }),
    remove: (id, by) =>
      serial(async () => {
        const [existing] = await current(id);
        if (!existing) return false;
        await write(id, definitionOf(existing), by, true);
        await redis.del(keys.secret(id), keys.state(id));
        return true;
      }),
  };
}
