import { MAX_NESTING_DEPTH } from '../pipeline/core/nesting-depth.js';
import type { Issue } from './tracking-spec.js';

// What the queue, the identity scripts and ClickHouse cannot take, checked at the door on the event as
// parsed, so that whatever is answered 200 loads. Pure: no I/O. The event is repaired in place where the
// repair loses nothing that identifies anyone (free text), and refused where it would (identifiers).

// The event itself is level 1 of the nesting bound.
export { MAX_NESTING_DEPTH };

export interface IdentityKeys {
  /** Trait and property keys holding identifying emails and phone numbers (IDENTITY_EMAIL_KEYS / _PHONE_KEYS). */
  emailKeys: readonly string[];
  phoneKeys: readonly string[];
}

export interface GuardLimits {
  maxEventBytes: number;
  /** Where identifiers sit in traits and properties (the identity rules satisfy it). */
  identityRules: IdentityKeys;
}

export type GuardResult =
  | { ok: true; /** Strings whose lone surrogates were replaced with U+FFFD. */ repaired: number }
  | { ok: false; reason: 'invalid_event' | 'event_too_large'; issues: Issue[] };

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * An identifier must arrive exactly as the customer's id: a lone surrogate cannot be stored or resolved, and a
 * number beyond 2^53 was already rounded by JSON.parse (12345678901234567890 reads as …7000, which can merge two
 * customers). Both refuse the event rather than load a different id.
 */
function checkIdentifier(value: unknown, path: string, issues: Issue[]): void {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) issues.push({ path, code: 'invalid_string', message: 'contains a lone UTF-16 surrogate (\\ud800-\\udfff): an identifier must be valid Unicode' });
  } else if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    issues.push({ path, code: 'unsafe_integer', message: 'is a number beyond 2^53, which JSON readers round: send the id as a string' });
  }
}

function checkIdentifiers(item: Record<string, unknown>, keys: IdentityKeys, issues: Issue[]): void {
  for (const field of ['userId', 'anonymousId', 'previousId', 'groupId', 'messageId']) checkIdentifier(item[field], field, issues);
  const context = obj(item.context);
  const holders: [string, Record<string, unknown> | undefined][] = [['traits', obj(item.traits)], ['context.traits', obj(context?.traits)], ['properties', obj(item.properties)]];
  for (const [at, holder] of holders) {
    if (!holder) continue;
    for (const key of keys.emailKeys) checkIdentifier(holder[key], `${at}.${key}`, issues);
    for (const key of keys.phoneKeys) checkIdentifier(holder[key], `${at}.${key}`, issues);
  }
  const properties = obj(item.properties);
  if (properties) {
    // Order ids join an order's completion to its refunds: a rounded one would join two orders.
    checkIdentifier(properties.order_id, 'properties.order_id', issues);
    checkIdentifier(properties.orderId, 'properties.orderId', issues);
  }
  const external = context?.externalIds;
  if (Array.isArray(external)) {
    external.forEach((entry, i) => {
      const e = obj(entry);
      if (!e) return;
      checkIdentifier(e.id, `context.externalIds.${i}.id`, issues);
      checkIdentifier(e.type, `context.externalIds.${i}.type`, issues);
    });
  }
}

interface Walk {
  issues: Issue[];
  repaired: number;
  /** An upper bound of the event's compact JSON size in UTF-8 bytes. */
  bound: number;
}

const poisoned = (key: string, value: unknown) => key === '__proto__' || (key === 'constructor' && obj(value) !== undefined && Object.hasOwn(value as object, 'prototype'));

/**
 * One pass over the parsed value: nesting depth, prototype-pollution keys, lone surrogates in free text
 * (replaced in place with U+FFFD, keys included) and a size bound. Stops at the first structural problem.
 */
function walk(value: unknown, depth: number, path: string, w: Walk): void {
  if (typeof value === 'string') {
    // A character is at most 6 bytes of JSON text (\u001f); the quotes add 2.
    w.bound += value.length * 6 + 2;
    return;
  }
  if (typeof value !== 'object' || value === null) {
    w.bound += 24;
    return;
  }
  if (depth > MAX_NESTING_DEPTH) {
    w.issues.push({ path, code: 'too_deep', message: `objects and arrays may be nested at most ${MAX_NESTING_DEPTH} levels deep` });
    return;
  }
  w.bound += 2;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && w.issues.length === 0; i++) {
      const v = value[i];
      if (typeof v === 'string' && !v.isWellFormed()) {
        value[i] = v.toWellFormed();
        w.repaired++;
      }
      w.bound += 1;
      walk(value[i], depth + 1, path === '' ? String(i) : `${path}.${i}`, w);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const at = path === '' ? key : `${path}.${key}`;
    let v = record[key];
    if (poisoned(key, v)) {
      w.issues.push({ path: at, code: 'forbidden_key', message: `"${key}" is not accepted as a key here (prototype pollution)` });
      return;
    }
    if (typeof v === 'string' && !v.isWellFormed()) {
      v = record[key] = v.toWellFormed();
      w.repaired++;
    }
    let name = key;
    if (!key.isWellFormed()) {
      name = key.toWellFormed();
      delete record[key];
      record[name] = v;
      w.repaired++;
    }
    w.bound += name.length * 6 + 4;
    walk(v, depth + 1, at, w);
    if (w.issues.length > 0) return;
  }
}

/** Checks an object that is merged into events (a batch's own `context` or `integrations`): structure and text. */
export function guardObject(value: Record<string, unknown>, path: string, depth: number): { issues: Issue[]; repaired: number } {
  const w: Walk = { issues: [], repaired: 0, bound: 0 };
  walk(value, depth, path, w);
  return { issues: w.issues, repaired: w.repaired };
}

/** Checks one event (a JSON object as parsed) and repairs its free text; see the head of this file. */
export function guardEvent(item: Record<string, unknown>, limits: GuardLimits): GuardResult {
  const issues: Issue[] = [];
  checkIdentifiers(item, limits.identityRules, issues);
  if (issues.length > 0) return { ok: false, reason: 'invalid_event', issues };
  const w: Walk = { issues, repaired: 0, bound: 0 };
  walk(item, 1, '', w);
  if (issues.length > 0) return { ok: false, reason: 'invalid_event', issues };
  // The limit applies to the event as parsed, however its keys were spelled; measured exactly only when the
  // cheap bound says it might be over (a key written "bat\u0063h" is 5 characters here, not 10).
  if (w.bound > limits.maxEventBytes) {
    const bytes = Buffer.byteLength(JSON.stringify(item));
    if (bytes > limits.maxEventBytes) {
      return { ok: false, reason: 'event_too_large', issues: [{ path: '', code: 'too_big', message: `an event may be at most ${limits.maxEventBytes} bytes; this one is ${bytes}` }] };
    }
  }
  return { ok: true, repaired: w.repaired };
}
