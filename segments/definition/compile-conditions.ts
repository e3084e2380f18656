import { latestConsentSql } from '../../identity/consent/latest-consent.js';
import { complaintStatesSql } from '../../identity/feedback/complaint-states.js';
import { npsAnswersSql, npsGroupSql } from '../../identity/feedback/nps-answers.js';
import { profilesWithEvents, survivingProfile } from '../../identity/surviving-profile.js';
import { AS_OF, TODAY, TZ, conditionSql, queryParameters } from './condition-sql.js';
import type { Condition } from './segment-definition.js';

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

/** The comparisons of a count condition, in SQL and for a count known here (a customer without any: 0). */
const COUNT_OPS = {
  eq: { sign: '=', holds: (n: number, v: number) => n === v },
  gt: { sign: '>', holds: (n: number, v: number) => n > v },
  gte: { sign: '>=', holds: (n: number, v: number) => n >= v },
  lt: { sign: '<', holds: (n: number, v: number) => n < v },
  lte: { sign: '<=', holds: (n: number, v: number) => n <= v },
} as const;

export function queryParams(compiled: CompiledSegment, asOf: string, timeZone: string): Record<string, unknown> {
  return { ...compiled.params, as_of: asOf, tz: timeZone };
}

export function compileConditions(root: Condition, opts: CompileOptions): CompiledSegment {
  const db = opts.database;
  // Every value becomes a typed parameter; only names chosen here reach the SQL text.
  const { params, param } = queryParameters();

  const { compare, filter, window } = conditionSql(param);

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

  /**
   * A computed trait's value as the `traits` job wrote it at as_of: text and numbers compared as trait values
   * are, a list by its elements (`contains`: an element equal to the value; `neq`: no element equal; other
   * ops: some element). A profile without a row has 0 for count and unique_count and [] for unique_list, so
   * "fewer than 3" includes the profiles with none; for the other kinds it has no value, which nothing matches.
   */
  function computedTrait(c: Extract<Condition, { type: 'computed_trait' }>): string {
    const trait = param('String', c.trait);
    const rows = `SELECT profile_id, value_number, value_string, value_list FROM ${snapshot('computed_traits', 'traits')} WHERE trait_id = ${trait}`;
    const onList =
      c.op === 'contains'
        ? `has(value_list, ${param('String', c.value)})`
        : c.op === 'exists'
          ? 'notEmpty(value_list)'
          : c.op === 'neq'
            ? `NOT arrayExists(x -> ${compare('x', { ...c, op: 'eq' })}, value_list)`
            : `arrayExists(x -> ${compare('x', c)}, value_list)`;
    const holds = `if(value_number IS NULL AND value_string IS NULL, ${onList}, ${compare('coalesce(value_string, toString(value_number))', c)})`;
    const kind = `(SELECT any(kind) FROM ${db}.computed_trait_definitions_current WHERE trait_id = ${trait})`;
    const withoutRow = `multiIf(${kind} IN ('count', 'unique_count'), ${compare(`'0'`, c)}, ${kind} = 'unique_list', ${c.op === 'neq' ? 1 : 0}, 0)`;
    return `SELECT profile_id FROM (${rows}) WHERE ${holds}
UNION ALL
SELECT profile_id FROM (${profilesWithEvents(db)}) WHERE ${withoutRow} AND profile_id NOT IN (SELECT profile_id FROM (${rows}))`;
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
      case 'computed_trait':
        return { in: true, set: computedTrait(c) };
      case 'lifecycle': {
        const where = [`stage IN ${param('Array(String)', c.stage)}`];
        // Days counted as a window's within_days counts them, by dateDiff: a Date minus more days than lie since 1970 wraps round.
        if (c.entered_within_days !== undefined) where.push(`dateDiff('day', toDate(since, ${TZ}), ${TODAY}) < ${param('UInt32', c.entered_within_days)}`);
        return { in: true, set: `SELECT profile_id FROM ${snapshot('lifecycle_stages', 'lifecycle')} WHERE ${where.join(' AND ')}` };
      }
      case 'value_tier':
        return { in: true, set: `SELECT profile_id FROM ${snapshot('value_tiers', 'value_tiers')} WHERE tier IN ${param('Array(String)', c.tier)}` };
      case 'loyalty': {
        const where = [...(c.level ? [`level IN ${param('Array(String)', c.level)}`] : []), ...range('balance', c.points ?? {})];
        return { in: true, set: `SELECT profile_id FROM ${snapshot('loyalty_standings', 'loyalty')} WHERE ${where.join(' AND ')}` };
      }
      case 'consent': {
        // The profiles whose latest statement by as_of grants the category. With no statement a category is
        // not granted, so `granted: false` is every profile outside that set: those who denied and those who never said.
        const latest = latestConsentSql(db, [`c.category = ${param('String', c.category)}`, `c.stated_at <= ${AS_OF}`]);
        return { in: c.granted, set: `SELECT profile_id FROM (${latest}) WHERE granted` };
      }
      case 'nps': {
        const latest = `SELECT profile_id, argMax(score, (answered_at, message_id)) AS score FROM (${npsAnswersSql(db, [`timestamp <= ${AS_OF}`])}) GROUP BY profile_id`;
        return { in: true, set: `SELECT profile_id FROM (${latest}) WHERE ${npsGroupSql('score')} IN ${param('Array(String)', c.group)}` };
      }
      case 'complaints': {
        // Counted per customer among those with an open complaint at as_of; a customer with none has 0, so
        // when 0 satisfies the comparison the set is its complement: those whose count does not.
        const ops = (Object.keys(COUNT_OPS) as (keyof typeof COUNT_OPS)[]).filter((op) => c.open[op] !== undefined);
        const holds = (n: string) => ops.map((op) => `${n} ${COUNT_OPS[op].sign} ${param('UInt32', c.open[op])}`).join(' AND ');
        const zeroHolds = ops.every((op) => COUNT_OPS[op].holds(0, c.open[op]!));
        const counts = `SELECT profile_id, count() AS n FROM (${complaintStatesSql(db, AS_OF)}) WHERE state = 'open' GROUP BY profile_id`;
        return { in: !zeroHolds, set: `SELECT profile_id FROM (${counts}) WHERE ${zeroHolds ? `NOT (${holds('n')})` : holds('n')}` };
      }
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
