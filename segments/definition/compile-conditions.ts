import { profilesWithEvents, survivingProfile } from '../../identity/surviving-profile.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { Comparison, Condition, PropertyFilter, TimeWindow } from './segment-definition.js';

export interface CompileOptions {
  database: string;
}

/**
 * One parameterised ClickHouse query returning the distinct profile_id of every member. Besides the
 * parameters in `params`, it reads `{as_of:DateTime64(3, 'UTC')}` and `{tz:String}`, which the caller binds
 * per run (see `queryParams`).
 */
export interface CompiledSegment {
  sql: string;
  params: Record<string, unknown>;
}

/** A leaf as a set of profiles: members are `IN` it, or `NOT IN` it (conditions that zero events satisfy). */
type Leaf = { in: boolean; set: string };
type Compiled = { leaf?: Leaf; expr: string };

const AS_OF = `{as_of:DateTime64(3, 'UTC')}`;
const TZ = '{tz:String}';
const TODAY = `toDate(${AS_OF}, ${TZ})`;

export function queryParams(compiled: CompiledSegment, asOf: string, timeZone: string): Record<string, unknown> {
  return { ...compiled.params, as_of: asOf, tz: timeZone };
}

export function compileConditions(root: Condition, opts: CompileOptions): CompiledSegment {
  const db = opts.database;
  const params: Record<string, unknown> = {};
  let next = 0;
  // Every value becomes a typed parameter; only names chosen here reach the SQL text.
  const param = (type: string, value: unknown): string => {
    const name = `p${next++}`;
    params[name] = value;
    return `{${name}:${type}}`;
  };

  function compare(value: string, c: Comparison): string {
    switch (c.op) {
      case 'eq':
      case 'neq': {
        const sign = c.op === 'eq' ? '=' : '!=';
        return typeof c.value === 'number' ? `toFloat64OrNull(${value}) ${sign} ${param('Float64', c.value)}` : `${value} ${sign} ${param('String', String(c.value))}`;
      }
      case 'lt':
        return `toFloat64OrNull(${value}) < ${param('Float64', c.value)}`;
      case 'lte':
        return `toFloat64OrNull(${value}) <= ${param('Float64', c.value)}`;
      case 'gt':
        return `toFloat64OrNull(${value}) > ${param('Float64', c.value)}`;
      case 'gte':
        return `toFloat64OrNull(${value}) >= ${param('Float64', c.value)}`;
      case 'in':
        return `${value} IN ${param('Array(String)', c.value.map(String))}`;
      case 'contains':
        return `positionCaseInsensitiveUTF8(${value}, ${param('String', c.value)}) > 0`;
      case 'exists':
        return `(${value} != '' AND ${value} != 'null')`;
      case 'before':
      case 'after': {
        const sign = c.op === 'before' ? '<' : '>';
        // Trait dates without an offset are local times in the configured zone.
        const parsed = `parseDateTime64BestEffortOrNull(${value}, 3, ${TZ})`;
        if (typeof c.value === 'object') return `toDate(${parsed}, ${TZ}) ${sign} ${TODAY} - ${param('UInt32', c.value.days_ago)}`;
        // A bare date is a local calendar day; a date-time with an offset is an instant.
        if (/^\d{4}-\d{2}-\d{2}$/.test(c.value)) return `toDate(${parsed}, ${TZ}) ${sign} ${param('Date', c.value)}`;
        return `${parsed} ${sign} ${param(`DateTime64(3, 'UTC')`, chTime(Date.parse(c.value)))}`;
      }
    }
  }

  // A property as text, as traits are stored: strings as given, anything else as its JSON.
  function property(path: string): { value: string; has: string } {
    const keys = path.split('.').map((k) => param('String', k)).join(', ');
    return {
      value: `if(JSONType(properties, ${keys}) = 'String', JSONExtractString(properties, ${keys}), JSONExtractRaw(properties, ${keys}))`,
      has: `JSONHas(properties, ${keys})`,
    };
  }

  function filter(f: PropertyFilter): string {
    const p = property(f.property);
    return `(${p.has} AND ${compare(p.value, f)})`;
  }

  function window(w: TimeWindow | undefined): string[] {
    const local = `toDate(timestamp, ${TZ})`;
    const out = [`timestamp <= ${AS_OF}`];
    if (!w) return out;
    // The coarse bound on timestamp lets ClickHouse skip partitions; the local-date test is the exact one.
    const coarse = (days: number) => `timestamp >= ${AS_OF} - toIntervalDay(${param('UInt32', days + 2)})`;
    if ('within_days' in w) {
      out.push(coarse(w.within_days), `${local} > ${TODAY} - ${param('UInt32', w.within_days)}`);
    } else if ('between_days_ago' in w) {
      const [near, far] = w.between_days_ago;
      out.push(coarse(far), `${local} BETWEEN ${TODAY} - ${param('UInt32', far)} AND ${TODAY} - ${param('UInt32', near)}`);
    } else {
      const start = { day: 'toDate', week: 'toMonday', month: 'toStartOfMonth', quarter: 'toStartOfQuarter', year: 'toStartOfYear' }[w.this];
      const span = { day: 1, week: 7, month: 31, quarter: 92, year: 366 }[w.this];
      out.push(coarse(span), `${start}(${local}) = ${start}(${TODAY})`);
    }
    return out;
  }

  /** `byMessage`: count message ids rather than rows, where the count is compared with more than "any at all". */
  function events(c: Extract<Condition, { type: 'event' | 'no_event' }>, having?: string, byMessage = false): string {
    const where = [`type = ${param('String', c.call)}`];
    if (c.event !== undefined) where.push(`event = ${param('String', c.event)}`);
    if (c.name !== undefined) where.push(`name = ${param('String', c.name)}`);
    where.push(...window(c.window), ...(c.where ?? []).map(filter), `profile_id != ''`);
    // events_resolved would join the override table once per event; counting per loaded profile first
    // and then moving the counts to the surviving profiles joins once per profile. An event counts once per
    // message id (a resend after the dedupe window is loaded again), also when its copies were loaded under
    // two profiles merged since: the per-profile sets of message ids are merged, not their counts summed.
    // Whether there is any event at all needs no set, so only a count compared with more than that pays for one.
    const s = survivingProfile(db, 'e');
    const [perProfile, atSurvivor] = byMessage ? ['uniqExactState(message_id)', 'uniqExactMerge(e.n)'] : ['count()', 'sum(e.n)'];
    return `SELECT survivor AS profile_id FROM (SELECT ${s.profileId} AS survivor, ${atSurvivor} AS total
FROM (SELECT profile_id, ${perProfile} AS n FROM ${db}.events WHERE ${where.join(' AND ')} GROUP BY profile_id) AS e
${s.join}
GROUP BY survivor${having ? ` HAVING ${having}` : ''})`;
  }

  // Scores as they stood at as_of: the latest successful snapshot not after it (rfm_current / churn_current
  // when as_of is now), so a run for a past date does not read today's scores.
  const snapshot = (table: string, job: string) =>
    `(SELECT * FROM ${db}.${table} WHERE as_of = (SELECT max(as_of) FROM ${db}.job_runs FINAL WHERE job = '${job}' AND status = 'succeeded' AND as_of <= ${AS_OF}))`;

  function range(column: string, r: { gte?: number; lte?: number }): string[] {
    const out: string[] = [];
    if (r.gte !== undefined) out.push(`${column} >= ${param('Float64', r.gte)}`);
    if (r.lte !== undefined) out.push(`${column} <= ${param('Float64', r.lte)}`);
    return out;
  }

  function leaf(c: Condition): Leaf | undefined {
    switch (c.type) {
      case 'trait': {
        // profile_traits_current's rule (the latest value by event time, under the surviving profile), as
        // of the run: a trait set after as_of does not count yet.
        const s = survivingProfile(db, 't');
        return {
          in: true,
          set: `SELECT survivor AS profile_id FROM (SELECT ${s.profileId} AS survivor, argMax(t.value, (t.timestamp, t.received_at)) AS value
FROM ${db}.profile_traits AS t
${s.join}
WHERE t.trait = ${param('String', c.trait)} AND t.timestamp <= ${AS_OF}
GROUP BY survivor) WHERE ${compare('value', c)}`,
        };
      }
      case 'event': {
        const count = c.count ?? { op: 'gte' as const, value: 1 };
        const sign = { eq: '=', neq: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=' }[count.op];
        const holds = `total ${sign} ${param('UInt64', count.value)}`;
        // "Fewer than 3" includes profiles with none at all, which the events table cannot list: such a
        // condition is compiled as "not among the profiles for which it fails".
        const zeroSatisfies = { eq: 0 === count.value, neq: 0 !== count.value, lt: 0 < count.value, lte: true, gt: false, gte: count.value === 0 }[count.op];
        // Only a threshold above "any at all" (at least 2, exactly 1, more than 1, ...) tells counts of 1+ apart.
        const byMessage = { eq: count.value > 0, neq: count.value > 0, lt: count.value > 1, lte: count.value > 0, gt: count.value > 0, gte: count.value > 1 }[count.op];
        return zeroSatisfies ? { in: false, set: events(c, `NOT (${holds})`, byMessage) } : { in: true, set: events(c, holds, byMessage) };
      }
      case 'no_event':
        return { in: false, set: events(c) };
      case 'rfm': {
        const where = [
          ...(c.segment ? [`segment IN ${param('Array(String)', c.segment)}`] : []),
          ...range('r', c.r ?? {}),
          ...range('f', c.f ?? {}),
          ...range('m', c.m ?? {}),
        ];
        return { in: true, set: `SELECT profile_id FROM ${snapshot('rfm_scores', 'rfm')} WHERE ${where.join(' AND ')}` };
      }
      case 'churn': {
        const flags = { model: 'churn_flag = 1', rule: 'rule_flag = 1', either: '(churn_flag = 1 OR rule_flag = 1)', both: '(churn_flag = 1 AND rule_flag = 1)', none: '(churn_flag = 0 AND rule_flag = 0)' };
        const where = [...(c.flag ? [flags[c.flag]] : []), ...range('p_alive', c.p_alive ?? {})];
        return { in: true, set: `SELECT profile_id FROM ${snapshot('churn_scores', 'churn')} WHERE ${where.join(' AND ')}` };
      }
      case 'clv':
        return { in: true, set: `SELECT profile_id FROM ${snapshot('churn_scores', 'churn')} WHERE ${range('clv', c).join(' AND ')}` };
      case 'segment':
        return { in: true, set: `SELECT profile_id FROM ${db}.segment_members_current WHERE segment_id = ${param('String', c.segment_id)}` };
      case 'lifecycle': {
        const where = [`stage IN ${param('Array(String)', c.stage)}`];
        // Days counted as a window's within_days counts them, by dateDiff: a Date minus more days than lie since 1970 wraps round.
        if (c.entered_within_days !== undefined) where.push(`dateDiff('day', toDate(since, ${TZ}), ${TODAY}) < ${param('UInt32', c.entered_within_days)}`);
        return { in: true, set: `SELECT profile_id FROM ${snapshot('lifecycle_stages', 'lifecycle')} WHERE ${where.join(' AND ')}` };
      }
      case 'value_tier':
        return { in: true, set: `SELECT profile_id FROM ${snapshot('value_tiers', 'value_tiers')} WHERE tier IN ${param('Array(String)', c.tier)}` };
      default:
        return undefined;
    }
  }

  function compile(c: Condition): Compiled {
    const l = leaf(c);
    if (l) return { leaf: l, expr: `profile_id ${l.in ? 'IN' : 'NOT IN'} (${l.set})` };
    if (c.type === 'not') return { expr: `NOT (${compile(c.condition).expr})` };
    if (c.type !== 'and' && c.type !== 'or') throw new TypeError(`unknown condition type ${(c as { type: string }).type}`);
    const parts = c.conditions.map(compile);
    if (parts.length === 1) return parts[0]!;
    return { expr: parts.map((p) => `(${p.expr})`).join(c.type === 'and' ? ' AND ' : ' OR ') };
  }

  // Members are drawn from one positive set when the tree has one at the top (a leaf, or a leaf under the
  // top `and`), so most segments never scan every profile; otherwise from every profile with an event
  // (profile_activity: one row per loaded profile, not one per event).
  const universe = profilesWithEvents(db);
  if (root.type === 'and') {
    const parts = root.conditions.map(compile);
    const anchor = parts.findIndex((p) => p.leaf?.in);
    if (anchor >= 0) {
      const rest = parts.filter((_, i) => i !== anchor).map((p) => `(${p.expr})`);
      const sql = `SELECT profile_id FROM (${parts[anchor]!.leaf!.set})${rest.length ? ` WHERE ${rest.join(' AND ')}` : ''}`;
      return { sql, params };
    }
    return { sql: `SELECT profile_id FROM (${universe}) WHERE ${parts.map((p) => `(${p.expr})`).join(' AND ')}`, params };
  }
  const top = compile(root);
  if (top.leaf?.in) return { sql: `SELECT profile_id FROM (${top.leaf.set})`, params };
  return { sql: `SELECT profile_id FROM (${universe}) WHERE ${top.expr}`, params };
}
