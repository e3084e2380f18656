import type { EnrichedEvent } from '../pipeline/core/load-job.js';

// Which identifiers an event carries, normalised, with junk values removed. Pure: no I/O.

export interface Identifier {
  /** user_id, anonymous_id, email, phone, or ext:<type> for context.externalIds. */
  type: string;
  value: string;
}

export interface IdentityRules {
  /** Trait and property keys whose values are emails / phone numbers. */
  emailKeys: string[];
  phoneKeys: string[];
  /** Values (compared lower-cased and trimmed) that never identify anyone. */
  blockedValues: ReadonlySet<string>;
  /** Most identifiers of a type one profile may hold; `*` for types not listed. */
  limits: Record<string, number>;
}

export const DEFAULT_BLOCKED_VALUES = ['', 'null', 'undefined', 'none', 'nil', 'nan', 'n/a', '0', '-1', 'anonymous', 'guest', 'unknown', '[object object]', 'true', 'false'];

/** Higher first: when a merge would break a limit, the lowest-priority incoming identifiers are dropped first. */
export function priority(type: string): number {
  if (type === 'user_id') return 5;
  if (type === 'email') return 4;
  if (type === 'phone') return 3;
  if (type.startsWith('ext:')) return 2;
  return 1;
}

export function compareIdentifiers(a: Identifier, b: Identifier): number {
  return priority(b.type) - priority(a.type) || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
}

// Only zeros, dashes, dots, pluses and spaces: "000-000", "0.0", "--", and "+00000000" (a zero phone).
const ONLY_FILLER = /^[\s0\-.+]*$/;

export function isBlocked(value: string, rules: Pick<IdentityRules, 'blockedValues'>): boolean {
  const v = value.trim().toLowerCase();
  return rules.blockedValues.has(v) || ONLY_FILLER.test(v);
}

export function normalizeEmail(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const v = raw.trim().toLowerCase();
  const at = v.indexOf('@');
  return at > 0 && at < v.length - 1 && !/\s/.test(v) ? v : undefined;
}

/** Phone numbers as digits with a leading + when international ("00" prefix read as +); at least 7 digits. */
export function normalizePhone(raw: unknown): string | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  // "(0)" is the national trunk prefix written inside an international number: "+44 (0) 7700 900123".
  let v = String(raw).trim().replace(/\(0\)/g, '');
  const international = v.startsWith('+') || v.startsWith('00');
  v = v.replace(/\D/g, '');
  if (v.startsWith('00')) v = v.slice(2);
  if (v.length < 7 || v.length > 15) return undefined;
  return international ? `+${v}` : v;
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export interface Extracted {
  identifiers: Identifier[];
  /** Identifiers dropped because their value is blocked, by type. */
  blocked: Identifier[];
}

/** Where an event's identifiers come from; the caller decides which parts of the event count. */
export interface IdentifierSources {
  userId?: unknown;
  anonymousId?: unknown;
  previousId?: unknown;
  /** Objects whose email and phone keys (the rules') identify the customer. */
  holders: (Record<string, unknown> | undefined)[];
  externalIds?: unknown;
}

/** Ids as the tracking API keeps them: text, or a finite number as its decimal text. */
const idText = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);

/** The identifiers found in `sources`, normalised, highest priority first, each (type, value) once. */
export function identifiersOf(sources: IdentifierSources, rules: IdentityRules): Extracted {
  const found: Identifier[] = [];
  const blocked: Identifier[] = [];
  const seen = new Set<string>();
  /** `value` undefined: the raw value is not a valid identifier of its type (junk, counted as blocked). */
  const add = (type: string, value: string | undefined, raw: unknown = value) => {
    if (raw === undefined || raw === null) return;
    const key = `${type}\u001f${value ?? String(raw)}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (value === undefined || isBlocked(value, rules)) blocked.push({ type, value: value ?? String(raw) });
    else found.push({ type, value });
  };
  add('user_id', idText(sources.userId)?.trim());
  add('anonymous_id', idText(sources.anonymousId)?.trim());
  add('previous_id', idText(sources.previousId)?.trim());
  for (const source of sources.holders) {
    if (!source) continue;
    for (const key of rules.emailKeys) add('email', normalizeEmail(source[key]), source[key]);
    for (const key of rules.phoneKeys) add('phone', normalizePhone(source[key]), source[key]);
  }
  if (Array.isArray(sources.externalIds)) {
    for (const entry of sources.externalIds) {
      const e = obj(entry);
      if (e && (typeof e.id === 'string' || typeof e.id === 'number') && typeof e.type === 'string' && e.type.trim()) {
        add(`ext:${e.type.trim().toLowerCase()}`, String(e.id).trim());
      }
    }
  }
  // Priority first, then type and value: the order is a function of the set, so a replay from
  // identity_edges feeds the resolver exactly what the live load did.
  found.sort(compareIdentifiers);
  return { identifiers: found, blocked };
}

/**
 * The identifiers of one event, highest priority first, each (type, value) once. `alias` carries its
 * `previousId` as type `previous_id`: the resolver looks it up as a user id or an anonymous id.
 */
export function extractIdentifiers(event: EnrichedEvent, rules: IdentityRules): Extracted {
  return identifiersOf(
    {
      userId: typeof event.userId === 'string' ? event.userId : undefined,
      anonymousId: typeof event.anonymousId === 'string' ? event.anonymousId : undefined,
      previousId: event.type === 'alias' && typeof event.previousId === 'string' ? event.previousId : undefined,
      holders: [event.type === 'identify' ? event.traits : undefined, obj(event.context.traits), event.properties],
      externalIds: event.context.externalIds,
    },
    rules,
  );
}
