import { chMs, chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { ResourceExistsError } from '../../pipeline/core/errors/resource-exists-error.js';
import { oneAtATime } from '../../pipeline/core/one-at-a-time.js';
import type { TrackingPlanKeys } from '../../pipeline/redis/key-names.js';
import { compilePlan } from './compile-plan.js';
import { SourceHasPlanError } from './errors/source-has-plan-error.js';
import type { PlanRule, TrackingPlan, TrackingPlanInput } from './plan-definition.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';

export interface TrackingPlanStore {
  list(): Promise<TrackingPlan[]>;
  get(id: string): Promise<TrackingPlan | undefined>;
  /** Checks and stores a new plan; an id in use is refused with ResourceExistsError (409). */
  create(id: string, input: TrackingPlanInput, by: string): Promise<TrackingPlan>;
  /** Creates the plan or stores its next version; a body the same as the current version's makes no new version. */
  put(id: string, input: TrackingPlanInput, by: string): Promise<{ plan: TrackingPlan; created: boolean }>;
  /** Tombstones a plan; false when there was none. */
  remove(id: string, by: string): Promise<boolean>;
  /** Makes Redis hold exactly the current versions ClickHouse holds (at start, where ClickHouse is held). */
  publishAll(): Promise<void>;
}

interface Row {
  plan_id: string;
  version: number;
  name: string;
  sources: string[];
  violations: TrackingPlan['violations'];
  unplanned_events: TrackingPlan['unplanned_events'];
  rules: string;
  created_at: string;
  created_by: string;
  deleted: number;
}

const toPlan = (row: Row): TrackingPlan => ({
  id: row.plan_id,
  version: Number(row.version),
  name: row.name,
  sources: row.sources,
  violations: row.violations,
  unplanned_events: row.unplanned_events,
  rules: JSON.parse(row.rules) as PlanRule[],
  created_at: new Date(chMs(row.created_at)).toISOString(),
  created_by: row.created_by,
});

/** The part of a plan a new version changes; the same body twice gives the same text. */
const definitionOf = (p: Pick<TrackingPlan, 'name' | 'sources' | 'violations' | 'unplanned_events' | 'rules'>) =>
  JSON.stringify([p.name, p.sources, p.violations, p.unplanned_events, p.rules]);

/** The other live plan covering a source this one would cover, and that source (undefined: every source). */
function conflict(id: string, sources: string[], plans: TrackingPlan[]): { source: string | undefined; plan: string } | undefined {
  for (const other of plans) {
    if (other.id === id) continue;
    if (sources.length === 0) return { source: undefined, plan: other.id };
    const shared = other.sources.length === 0 ? sources[0] : sources.find((s) => other.sources.includes(s));
    if (shared !== undefined) return { source: shared, plan: other.id };
  }
  return undefined;
}

/** Sets a plan's current version in Redis and announces it to every tracking API (plan-cache.ts reads it). */
export async function publishPlan(redis: RedisClient, keys: TrackingPlanKeys, plan: TrackingPlan): Promise<void> {
  await redis.hset(keys.current, plan.id, JSON.stringify(plan));
  await redis.publish(keys.changed, `${plan.id}@${plan.version}`);
}

/**
 * Tracking plans, versioned in ClickHouse (table `tracking_plans`, like segments) and published in Redis, where
 * every tracking API reads them (plan-cache.ts): each write sets the plan's current version in a hash and
 * announces it. Writes from one process are serialised, so two writes cannot both take one source.
 */
export function createTrackingPlanStore(deps: { clickhouse: ClickHouseClient; database: string; redis: RedisClient; keys: TrackingPlanKeys }): TrackingPlanStore {
  const { clickhouse, database: db, redis, keys } = deps;
  const serial = oneAtATime();

  const rows = async (query: string, params: Record<string, unknown> = {}) =>
    (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<Row>();
  const current = async (id?: string): Promise<TrackingPlan[]> =>
    (await rows(`SELECT * FROM ${db}.tracking_plans_current${id ? ' WHERE plan_id = {id:String}' : ''} ORDER BY plan_id`, id ? { id } : {})).map(toPlan);
  const lastVersion = async (id: string): Promise<number> =>
    Number((await rows(`SELECT max(version) AS version FROM ${db}.tracking_plans WHERE plan_id = {id:String}`, { id }))[0]?.version ?? 0);

  const publish = (plan: TrackingPlan) => publishPlan(redis, keys, plan);

  async function check(id: string, input: TrackingPlanInput): Promise<void> {
    compilePlan({ ...input, id, version: 0 });
    const taken = conflict(id, input.sources, await current());
    if (taken) throw new SourceHasPlanError(taken.source, taken.plan);
  }

  async function write(id: string, input: TrackingPlanInput, by: string): Promise<TrackingPlan> {
    const row: Row = {
      plan_id: id,
      version: (await lastVersion(id)) + 1,
      name: input.name,
      sources: input.sources,
      violations: input.violations,
      unplanned_events: input.unplanned_events,
      rules: JSON.stringify(input.rules),
      created_at: chTime(Date.now()),
      created_by: by,
      deleted: 0,
    };
    await clickhouse.insert({ table: `${db}.tracking_plans`, values: [row], format: 'JSONEachRow' });
    const plan = toPlan(row);
    await publish(plan);
    return plan;
  }

  return {
    list: () => current(),
    get: async (id) => (await current(id))[0],
    create: (id, input, by) =>
      serial(async () => {
        if ((await current(id)).length > 0) throw new ResourceExistsError('tracking plan', id, '/v1/tracking-plans');
        await check(id, input);
        return write(id, input, by);
      }),
    put: (id, input, by) =>
      serial(async () => {
        const [existing] = await current(id);
        await check(id, input);
        if (existing && definitionOf(existing) === definitionOf(input)) {
          // Published again: a write whose publication failed is completed by its retry.
          await publish(existing);
          return { plan: existing, created: false };
        }
        return { plan: await write(id, input, by), created: existing === undefined };
      }),
    remove: (id, by) =>
      serial(async () => {
        const [existing] = await current(id);
        if (!existing) return false;
        await clickhouse.insert({
          table: `${db}.tracking_plans`,
          values: [{ plan_id: id, version: existing.version + 1, name: existing.name, sources: [], violations: existing.violations, unplanned_events: existing.unplanned_events, rules: '[]', created_at: chTime(Date.now()), created_by: by, deleted: 1 }],
          format: 'JSONEachRow',
        });
        await redis.hdel(keys.current, id);
        await redis.publish(keys.changed, `${id}@deleted`);
        return true;
      }),
    publishAll: () =>
      serial(async () => {
        const plans = await current();
        const live = new Set(plans.map((p) => p.id));
        const stale = (await redis.hkeys(keys.current)).filter((id) => !live.has(id));
        if (stale.length > 0) await redis.hdel(keys.current, ...stale);
        if (plans.length > 0) await redis.hset(keys.current, Object.fromEntries(plans.map((p) => [p.id, JSON.stringify(p)])));
        await redis.publish(keys.changed, '*');
      }),
  };
}
