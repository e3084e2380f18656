import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { Comparison, PropertyFilter, TimeWindow } from './segment-definition.js';

// The SQL of the segment language's pieces that other compilers share (computed traits read events with the
// same filters and windows): comparisons, event properties, property filters and time windows. Every value
// becomes a typed parameter through `param`; only names chosen here reach the SQL text.

/** Binds a value as a new query parameter and answers its placeholder, e.g. `{p3:String}`. */
export type Param = (type: string, value: unknown) => string;

/** A compiler's parameters, named p0, p1, ... in the order they are bound, and the `param` that binds them. */
export function queryParameters(): { params: Record<string, unknown>; param: Param } {
  const params: Record<string, unknown> = {};
  let next = 0;
  const param: Param = (type, value) => {
    const name = `p${next++}`;
    params[name] = value;
    return `{${name}:${type}}`;
  };
  return { params, param };
}

/** The run's as_of and time zone, bound per run by the caller. */
export const AS_OF = `{as_of:DateTime64(3, 'UTC')}`;
export const TZ = '{tz:String}';
/** as_of's local calendar day: day 0 of the windows. */
export const TODAY = `toDate(${AS_OF}, ${TZ})`;

export interface ConditionSql {
  /** `value` (an SQL expression of text) compared as the condition says. */
  compare(value: string, c: Comparison): string;
  /** The SQL parameters of a dotted property path's keys, e.g. `{p1:String}, {p2:String}`. */
  keys(path: string): string;
  /** A property of the event as text, as traits are stored: strings as given, anything else as its JSON. */
  property(path: string): { value: string; has: string };
  filter(f: PropertyFilter): string;
  /** The conditions on `timestamp` of a window (always: not after as_of). */
  window(w: TimeWindow | undefined): string[];
}

export function conditionSql(param: Param): ConditionSql {
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
        // Counted back by dateDiff: a Date minus more days than lie since 1970 wraps round.
        if (typeof c.value === 'object') return `dateDiff('day', toDate(${parsed}, ${TZ}), ${TODAY}) ${c.op === 'before' ? '>' : '<'} ${param('UInt32', c.value.days_ago)}`;
        // A bare date is a local calendar day; a date-time with an offset is an instant.
        if (/^\d{4}-\d{2}-\d{2}$/.test(c.value)) return `toDate(${parsed}, ${TZ}) ${sign} ${param('Date', c.value)}`;
        return `${parsed} ${sign} ${param(`DateTime64(3, 'UTC')`, chTime(Date.parse(c.value)))}`;
      }
    }
  }

  const keys = (path: string) => path.split('.').map((k) => param('String', k)).join(', ');

  function property(path: string): { value: string; has: string } {
    const k = keys(path);
    return {
      value: `if(JSONType(properties, ${k}) = 'String', JSONExtractString(properties, ${k}), JSONExtractRaw(properties, ${k}))`,
      has: `JSONHas(properties, ${k})`,
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
    // The coarse bound on timestamp lets ClickHouse skip partitions; the local-date test is the exact one,
    // counted back by dateDiff (a Date minus more days than lie since 1970 wraps round: `within_days: 36500`
    // would match nobody).
    const coarse = (days: number) => `timestamp >= ${AS_OF} - toIntervalDay(${param('UInt32', days + 2)})`;
    const daysAgo = `dateDiff('day', ${local}, ${TODAY})`;
    if ('within_days' in w) {
      out.push(coarse(w.within_days), `${daysAgo} < ${param('UInt32', w.within_days)}`);
    } else if ('between_days_ago' in w) {
      const [near, far] = w.between_days_ago;
      out.push(coarse(far), `${daysAgo} BETWEEN ${param('UInt32', near)} AND ${param('UInt32', far)}`);
    } else {
      const start = { day: 'toDate', week: 'toMonday', month: 'toStartOfMonth', quarter: 'toStartOfQuarter', year: 'toStartOfYear' }[w.this];
      const span = { day: 1, week: 7, month: 31, quarter: 92, year: 366 }[w.this];
      out.push(coarse(span), `${start}(${local}) = ${start}(${TODAY})`);
    }
    return out;
  }

  return { compare, keys, property, filter, window };
}
