// A seeded scenario of retail customers and the Segment events their devices send, with the ground truth
// of who is who, and a pure scoring function that grades a resolution of it. Used by the identity tests
// (a few hundred customers) and by identity-bench.ts (hundreds of thousands of events). No I/O, no
// clock, no Math.random: the same options give byte-for-byte the same events and truth.
//
// ## Behaviours generated
//
// - Customers with 1..n devices, one `anonymousId` per device (web or app).
// - Registered customers (with a `userId`) log in late on a device: the device's first events are
//   anonymous, then an `identify` with the `userId` (or an `alias`, see below), then every later event on that
//   device carries the `userId` (as analytics.js and the mobile SDKs do). A registered customer always logs in
//   on their first device; each other device is linked at `deviceLinkRate` (by a login, or at
//   `emailLinkRate` by an email at checkout on a device never logged in) and otherwise never linked.
// - Guest shoppers (no `userId`) are known by email only: each linked device gives the email at least once.
// - Emails at checkout: on a device where the customer is not logged in, a session may end with an
//   `Order Completed` whose `properties.email` is the customer's email (or a second, "work" email), or with a
//   newsletter `identify` (traits.email, no userId). Emails are written with random case and spaces; phones
//   in several formats ("+44 7700 900123", "0044 7700-900-123", …) that all normalise to one E.164 value.
// - `alias` logins: `{ previousId: <the device's anonymousId>, userId, anonymousId }`, as analytics.js sends it.
// - App logins carry `context.externalIds` (a CRM id) and, afterwards, `context.traits.email` on every call.
// - Shared kiosk devices: one `anonymousId` used by several registered customers. A visit is a few anonymous
//   events (browsing), then an `identify` with the visitor's own `userId`, then events with that `userId`
//   (possibly an order with the visitor's email). Kiosk visitors never give an email without logging in.
// - Junk identifiers, sent by many distinct customers: `userId` "null", "undefined", "0", "-1", "anonymous",
//   "guest", "[object Object]" on the events of a device (before the real login), an `identify` with
//   `traits.email` "null", checkouts with `properties.phone` "000-000-0000", and server-side events with a
//   junk `userId` and no `anonymousId` at all (nothing left to identify anyone by).
// - Out-of-order delivery: events are delivered in order of their (true) timestamps, in batches of
//   `batchSize`, except a fraction `outOfOrderRate` of them that are moved to a random position (an earlier or
//   a later batch). Timestamps are never changed.
//
// Sizes: every count and rate is an option (DEFAULT_SCENARIO_OPTIONS: 300 customers, ~19 events each);
// scenarioOptionsForEvents(n) scales the defaults to about n events for the bench.
//
// ## Truth
//
// Every event's true customer, and every identifier value used, keyed `type \x1f value` with the value as
// the product must normalise it (email trimmed and lower-cased, phone as "+digits"; a blocked value as it is
// sent, trimmed: it must never reach the graph, so its normal form does not matter), with its kind:
// `customer` (used by one customer only), `shared` (a kiosk device: used by several customers), `junk` (a
// blocked value). An alias's `previousId` is recorded as the `anonymous_id` it is.
//
// ## Scoring (scoreIdentity) — exact definitions
//
// Let E be the scenario's events, c(e) the true customer of e, p(e) the profile e resolved to ('' or absent =
// no profile: the event is a singleton that pairs with nothing).
// - truePairs T = Σ_customers C(n_c, 2): unordered pairs of events of the same customer.
// - predictedPairs P = Σ_profiles≠'' C(m_p, 2): pairs of events resolved to the same profile.
// - truePositives TP = Σ_(p≠'', c) C(n_pc, 2): pairs in the same profile and of the same customer.
//   Computed from the counts n_pc per (profile, customer) cell; pairs are never enumerated.
// - precision = TP / P (1 when P = 0); recall = TP / T (1 when T = 0).
// - An event is *attributable* when it carries at least one identifier of kind `customer`; otherwise it is
//   *ambiguous*: only shared values (kiosk browsing) or only junk values (server-side junk events).
// - attainable partition: events joined when they share a `customer` identifier (union-find over events and
//   such values; shared and junk values join nothing). It is what a perfect resolver could know.
//   attainablePairs A = Σ_components C(size, 2). `attributable.*` is the same pairwise scoring restricted to
//   attributable events; a resolver that is exact on them has attributable precision 1 and
//   attributable truePositives = A.
// - bounds: when the resolution is exact on attributable events, TP ≥ A, so recall ≥ A / T = recallFloor.
//   Ambiguous kiosk events go to whichever profile holds the kiosk's anonymousId (first come); that profile's
//   attributable events are those of one customer who used that kiosk. So the false pairs are at most
//   falsePairBound = Σ_kiosks [a_k × max_(c uses k) n_c + C(a_k, 2)] + Σ_(kiosks k<j with a common user) a_k × a_j
//   (a_k: ambiguous events on kiosk k; two kiosks' events share a profile only if it holds both ids, which
//   takes a customer who used both), and precision ≥ A / (A + falsePairBound) = precisionFloor. Events with
//   junk values only must have no profile (`junkOnlyResolved` counts those that have one).
// - over-merges: a profile p is over-merged when it holds events of a customer that is neither its main
//   customer (most attributable events, then most events) nor a user of a shared value carried by one of p's
//   events: no kiosk explains it. In this scenario the only values used by several customers are kiosk
//   devices and blocked values, so such a profile was fused through a blocked value: `overMerges.blocked`
//   counts those whose unexplained customers each share a junk value with another customer of p,
//   `overMerges.other` the rest. `overMerges.sharedCore` counts profiles whose *attributable* events belong
//   to 2+ customers even though a kiosk explains them (two logged-in kiosk users fused: the user_id limit
//   forbids it).
// - identifiers (from `profile_identifiers` rows): `junkHeld` = rows holding a junk value of the truth, or
//   any value isJunkValue() accepts (JUNK_VALUES case-insensitively, or only zeros, dashes, dots, spaces and
//   "+"); `mixedProfiles` = profiles holding `customer` identifiers of 2+ customers; `userIds`: per user id
//   used in the events, how many rows (profiles) hold it (must be 1), profiles holding 2+ user ids, and user
//   ids whose events resolved to 2+ profiles or to another profile than the one holding the user id.
import { seededRandom } from './seeded-random.js';

export type BatchItem = Record<string, unknown> & { type: string; messageId: string; timestamp: string };

export interface Range {
  min: number;
  max: number;
}

export interface IdentityScenarioOptions {
  seed: number;
  /** Prefix of every messageId, userId, anonymousId, email: runs on one product do not collide. [a-z0-9] */
  prefix: string;
  customers: number;
  devicesPerCustomer: Range;
  sessionsPerDevice: Range;
  eventsPerSession: Range;
  /** Customers with an account (a userId); the others are guest shoppers known by email only. */
  registeredRate: number;
  /** Per device after the first: the customer links it (logs in, or gives an email); the others are never linked. */
  deviceLinkRate: number;
  /** Per linked device after the first of a registered customer: linked by an email at checkout instead of a login. */
  emailLinkRate: number;
  /** Per login: an `alias` call instead of an `identify`. */
  aliasRate: number;
  /** Per identify at login: `traits.email` is given. */
  loginEmailRate: number;
  /** Customers with a phone number (given with the login traits). */
  phoneRate: number;
  /** Customers who also use a second ("work") email at some checkouts. */
  secondEmailRate: number;
  /** Per session on a device where the customer is not logged in: it ends with an order carrying properties.email. */
  checkoutEmailRate: number;
  /** Per such session: a newsletter sign-up (identify with traits.email, no userId). */
  signupEmailRate: number;
  /** Shared kiosk devices, the registered customers visiting each, and anonymous events per visit before the login. */
  kiosks: number;
  kioskVisitors: number;
  kioskAnonymousEvents: Range;
  /** Customers whose client sends junk identifiers. */
  junkRate: number;
  /** Of those, the ones whose server also sends events with a junk userId and no anonymousId. */
  serverJunkRate: number;
  /** Events delivered at a random position instead of in timestamp order. */
  outOfOrderRate: number;
  /** Events per /v1/batch request. */
  batchSize: number;
  /** Epoch ms of the first possible event, and the number of days the activity spans. */
  startMs: number;
  days: number;
}

export const DEFAULT_SCENARIO_OPTIONS: IdentityScenarioOptions = {
  seed: 20260401,
  prefix: 'sc',
  customers: 300,
  devicesPerCustomer: { min: 1, max: 3 },
  sessionsPerDevice: { min: 1, max: 3 },
  eventsPerSession: { min: 2, max: 6 },
  registeredRate: 0.75,
  deviceLinkRate: 0.9,
  emailLinkRate: 0.25,
  aliasRate: 0.2,
  loginEmailRate: 0.7,
  phoneRate: 0.3,
  secondEmailRate: 0.1,
  checkoutEmailRate: 0.4,
  signupEmailRate: 0.15,
  kiosks: 4,
  kioskVisitors: 5,
  kioskAnonymousEvents: { min: 0, max: 1 },
  junkRate: 0.2,
  serverJunkRate: 0.3,
  outOfOrderRate: 0.1,
  batchSize: 100,
  startMs: Date.UTC(2026, 2, 1),
  days: 30,
};

/** The junk values the scenario sends as user ids (all blocked by the product's defaults). */
export const JUNK_USER_IDS = ['null', 'undefined', '0', '-1', 'anonymous', 'guest', '[object Object]'] as const;
/** The junk phone number the scenario sends at some checkouts. */
export const JUNK_PHONE = '000-000-0000';
/** Every junk value a profile must never hold, as identifier of any type (compared case-insensitively). */
export const JUNK_VALUES: ReadonlySet<string> = new Set(['', 'null', 'undefined', 'none', 'nil', 'nan', '0', '-1', 'anonymous', 'guest', 'unknown', '[object object]', 'true', 'false']);
/** A junk value: one of JUNK_VALUES, or only zeros, dashes, dots, spaces (and a leading + once normalised as a phone). */
export const isJunkValue = (value: string): boolean => JUNK_VALUES.has(value.trim().toLowerCase()) || /^[\s0\-.+]*$/.test(value);

export type IdentifierKind = 'customer' | 'shared' | 'junk';

export interface IdentifierTruth {
  type: string;
  value: string;
  kind: IdentifierKind;
  /** Customers who sent it. */
  customers: Set<string>;
}

export interface EventTruth {
  messageId: string;
  customer: string;
  /** Identifier keys (`type \x1f value`, normalised) the event carries, junk included. */
  identifiers: string[];
  /** Position in timestamp order (delivery order is the order of `Scenario.events`). */
  chronological: number;
}

export interface CustomerTruth {
  id: string;
  userId?: string;
  emails: string[];
  phones: string[];
  anonymousIds: string[];
  kiosks: string[];
  junk: boolean;
}

export interface ScenarioTruth {
  customers: Map<string, CustomerTruth>;
  events: Map<string, EventTruth>;
  identifiers: Map<string, IdentifierTruth>;
}

export interface ScenarioStats {
  events: number;
  customers: number;
  registered: number;
  devices: number;
  logins: number;
  aliases: number;
  /** Anonymous events on a device before its login. */
  anonymousBeforeLogin: number;
  checkoutEmails: number;
  signupEmails: number;
  kioskAnonymousEvents: number;
  kioskLogins: number;
  junkCustomers: number;
  junkEvents: number;
  serverJunkEvents: number;
  /** Events moved to a random place in the delivery order (the others arrive in timestamp order). */
  outOfOrder: number;
  batches: number;
}

export interface Scenario {
  options: IdentityScenarioOptions;
  /** Every event, in delivery order. */
  events: BatchItem[];
  /** The same events cut into /v1/batch item lists, in delivery order. */
  batches: BatchItem[][];
  truth: ScenarioTruth;
  stats: ScenarioStats;
}

export const identifierKey = (type: string, value: string): string => `${type}\u001f${value}`;


const HOUR = 3600_000;
const PAGES = ['Home', 'Category', 'Search', 'Sale', 'Lookbook'];
const PRODUCTS = Array.from({ length: 60 }, (_, i) => ({ product_id: `prod_${1000 + i}`, name: `Item ${i}`, price: 10 + ((i * 37) % 200) }));

interface Device {
  anonymousId: string;
  app: boolean;
  /** The userId the device sends: none, a junk value, or the customer's own after the login. */
  userId?: string;
  /** context.traits an app sends on every call after a login with traits. */
  contextTraits?: Record<string, unknown>;
}

/** Options for about `events` events (bench sizes): the defaults scaled by customer count. */
export function scenarioOptionsForEvents(events: number, overrides: Partial<IdentityScenarioOptions> = {}): IdentityScenarioOptions {
  // About 19 events per customer with the default rates (measured by generating, not assumed: see stats).
  const customers = Math.max(10, Math.round(events / 19));
  return { ...DEFAULT_SCENARIO_OPTIONS, customers, kiosks: Math.max(1, Math.round(customers / 75)), ...overrides };
}

export function generateIdentityScenario(partial: Partial<IdentityScenarioOptions> = {}): Scenario {
  const o: IdentityScenarioOptions = { ...DEFAULT_SCENARIO_OPTIONS, ...partial };
  if (!/^[a-z0-9]+$/.test(o.prefix)) throw new Error('prefix must be [a-z0-9]+');
  const rand = seededRandom(o.seed);
  const chance = (p: number) => rand() < p;
  const int = (r: Range) => r.min + Math.floor(rand() * (r.max - r.min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

  const truth: ScenarioTruth = { customers: new Map(), events: new Map(), identifiers: new Map() };
  // Phone numbers are digits only: a block derived from the prefix keeps two scenarios on one product apart.
  let h = 0;
  for (const ch of o.prefix) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  const phoneBlock = 7000 + (h % 1000);
  const stats: ScenarioStats = {
    events: 0, customers: o.customers, registered: 0, devices: 0, logins: 0, aliases: 0, anonymousBeforeLogin: 0, checkoutEmails: 0,
    signupEmails: 0, kioskAnonymousEvents: 0, kioskLogins: 0, junkCustomers: 0, junkEvents: 0, serverJunkEvents: 0, outOfOrder: 0, batches: 0,
  };
  const drafts: { item: BatchItem; t: number; truth: EventTruth }[] = [];
  let messageSeq = 0;

  const register = (type: string, value: string, customer: string, kind: IdentifierKind): string => {
    const key = identifierKey(type, value);
    let id = truth.identifiers.get(key);
    if (!id) {
      id = { type, value, kind, customers: new Set() };
      truth.identifiers.set(key, id);
    }
    if (id.kind !== kind) throw new Error(`identifier ${type}:${value} generated as both ${id.kind} and ${kind}`);
    id.customers.add(customer);
    return key;
  };
  const junkKind = (v: string) => (isJunkValue(v) ? 'junk' : 'customer');

  /** Emails as people type them: random case, stray spaces. */
  const scramble = (email: string) => {
    const cased = chance(0.5) ? email : email.replace(/[a-z]/g, (ch) => (chance(0.3) ? ch.toUpperCase() : ch));
    return chance(0.2) ? `  ${cased} ` : cased;
  };
  const phoneFormats = (digits: string) => {
    // digits: "447123000042" → "+44 7123 000042" | "0044 7123-000-042" | "+447123000042"
    const cc = digits.slice(0, 2), a = digits.slice(2, 6), b = digits.slice(6);
    return pick([`+${cc} ${a} ${b}`, `00${cc} ${a}-${b.slice(0, 3)}-${b.slice(3)}`, `+${digits}`]);
  };

  interface EmitArgs {
    customer: CustomerTruth;
    t: number;
    type: BatchItem['type'];
    device?: Device;
    /** Overrides the device's userId (server-side calls). */
    userId?: string;
    noAnonymousId?: boolean;
    fields?: Record<string, unknown>;
    /** Identifier keys carried in traits/properties/context beyond userId/anonymousId. */
    extra?: string[];
  }
  const emit = (a: EmitArgs): BatchItem => {
    const messageId = `${o.prefix}-m${String(messageSeq++).padStart(7, '0')}`;
    const item: BatchItem = { type: a.type, messageId, timestamp: new Date(a.t).toISOString() };
    const ids: string[] = [];
    const userId = a.userId ?? a.device?.userId;
    if (userId !== undefined) {
      item.userId = userId;
      ids.push(register('user_id', userId.trim(), a.customer.id, junkKind(userId)));
    }
    if (a.device && !a.noAnonymousId) {
      item.anonymousId = a.device.anonymousId;
      const kiosk = a.customer.kiosks.includes(a.device.anonymousId);
      ids.push(register('anonymous_id', a.device.anonymousId, a.customer.id, kiosk ? 'shared' : 'customer'));
    }
    const context: Record<string, unknown> = { library: { name: a.device?.app ? 'analytics-ios' : 'analytics.js', version: '5.0.0' } };
    if (a.device?.contextTraits) {
      context.traits = a.device.contextTraits;
      const email = a.device.contextTraits.email;
      if (typeof email === 'string') ids.push(register('email', email.trim().toLowerCase(), a.customer.id, 'customer'));
    }
    item.context = context;
    Object.assign(item, a.fields);
    if (a.fields?.context) item.context = { ...context, ...(a.fields.context as Record<string, unknown>) };
    ids.push(...(a.extra ?? []));
    const t: EventTruth = { messageId, customer: a.customer.id, identifiers: [...new Set(ids)], chronological: -1 };
    truth.events.set(messageId, t);
    drafts.push({ item, t: a.t, truth: t });
    return item;
  };

  const browse = (customer: CustomerTruth, device: Device, t: number): BatchItem => {
    const p = pick(PRODUCTS);
    if (chance(0.4)) return emit({ customer, device, t, type: 'page', fields: { name: pick(PAGES), properties: { path: `/${pick(PAGES).toLowerCase()}` } } });
    return emit({ customer, device, t, type: 'track', fields: { event: chance(0.7) ? 'Product Viewed' : 'Product Added', properties: { ...p, currency: 'EUR' } } });
  };
  let orderSeq = 0;
  const order = (props: Record<string, unknown> = {}) => {
    const p = pick(PRODUCTS);
    return { order_id: `${o.prefix}-o${orderSeq++}`, revenue: p.price, currency: 'EUR', products: [{ product_id: p.product_id, quantity: 1 }], ...props };
  };

  for (let i = 0; i < o.customers; i++) {
    const customer: CustomerTruth = { id: `c${i}`, emails: [], phones: [], anonymousIds: [], kiosks: [], junk: false };
    truth.customers.set(customer.id, customer);
    const registered = chance(o.registeredRate);
    if (registered) {
      customer.userId = `${o.prefix}-u${i}`;
      stats.registered++;
    }
    const email = `${o.prefix}.c${i}@example.com`;
    customer.emails.push(email);
    if (chance(o.secondEmailRate)) customer.emails.push(`${o.prefix}.c${i}.work@example.org`);
    const phoneDigits = chance(o.phoneRate) ? `44${phoneBlock}${String(i).padStart(6, '0')}` : undefined;
    if (phoneDigits) customer.phones.push(`+${phoneDigits}`);
    const crmId = `${o.prefix}-crm-${i}`;
    customer.junk = chance(o.junkRate);
    const junkUserId = customer.junk ? pick(JUNK_USER_IDS) : undefined;
    if (customer.junk) stats.junkCustomers++;

    const begin = o.startMs + Math.floor(rand() * o.days * 24 * HOUR * 0.8);
    const deviceCount = int(o.devicesPerCustomer);
    for (let d = 0; d < deviceCount; d++) {
      stats.devices++;
      const device: Device = { anonymousId: `${o.prefix}-a${i}-${d}`, app: d > 0 && chance(0.5) };
      customer.anonymousIds.push(device.anonymousId);
      // The junk client sends its junk userId from the first event until the real login.
      if (junkUserId && d === 0) device.userId = junkUserId;
      const sessions = int(o.sessionsPerDevice);
      // How the device gets linked to the customer: a login (registered customers: always on the first
      // device), an email at checkout or sign-up (guests; some registered customers on other devices), or not
      // at all (a device no resolver can tell belongs to this customer).
      const linkBy = d === 0 ? (registered ? 'login' : 'email') : !chance(o.deviceLinkRate) ? 'none' : registered && !chance(o.emailLinkRate) ? 'login' : 'email';
      const logsIn = linkBy === 'login';
      let emailGiven = false;
      // Late login: in a random session, after at least one anonymous event on the device.
      const loginSession = logsIn ? Math.floor(rand() * sessions) : -1;
      let t = begin + Math.floor(rand() * 5 * 24 * HOUR);
      let loggedIn = false;
      for (let s = 0; s < sessions; s++) {
        const n = int(o.eventsPerSession);
        // The login comes after 1..n of the session's n anonymous events (k = n: at its end).
        const loginAt = s === loginSession ? 1 + Math.floor(rand() * n) : -1;
        for (let k = 0; k <= n; k++) {
          if (k === loginAt) {
            loggedIn = true;
            stats.logins++;
            t += 5_000 + Math.floor(rand() * 30_000);
            const userId = customer.userId!;
            if (chance(o.aliasRate)) {
              stats.aliases++;
              device.userId = userId;
              // analytics.js: alias(userId) sends previousId = the current anonymousId, and the anonymousId.
              emit({ customer, device, t, type: 'alias', fields: { previousId: device.anonymousId } });
            } else {
              const traits: Record<string, unknown> = { first_name: `First${i}`, last_name: `Last${i}`, plan: pick(['free', 'plus']) };
              const extra: string[] = [];
              if (chance(o.loginEmailRate)) {
                traits.email = scramble(email);
                extra.push(register('email', email, customer.id, 'customer'));
              }
              if (phoneDigits) {
                traits.phone = phoneFormats(phoneDigits);
                extra.push(register('phone', `+${phoneDigits}`, customer.id, 'customer'));
              }
              const fields: Record<string, unknown> = { traits };
              if (device.app) {
                fields.context = { externalIds: [{ id: crmId, type: 'crm_id', collection: 'users', encoding: 'none' }] };
                extra.push(register('ext:crm_id', crmId, customer.id, 'customer'));
              }
              device.userId = userId;
              emit({ customer, device, t, type: 'identify', fields, extra });
              if (device.app && traits.email !== undefined) device.contextTraits = { email: traits.email, first_name: traits.first_name };
            }
          }
          if (k === n) break;
          t += 10_000 + Math.floor(rand() * 110_000);
          if (!loggedIn) {
            if (logsIn) stats.anonymousBeforeLogin++;
            if (device.userId !== undefined) stats.junkEvents++;
          }
          browse(customer, device, t);
        }
        t += 2_000 + Math.floor(rand() * 60_000);
        if (loggedIn) {
          if (chance(0.3)) emit({ customer, device, t, type: 'track', fields: { event: 'Order Completed', properties: order() } });
        } else if (linkBy !== 'none' && (chance(o.checkoutEmailRate) || (linkBy === 'email' && !emailGiven && s === sessions - 1))) {
          // A guest checkout: the email is given at the order, on a device not logged in.
          stats.checkoutEmails++;
          // The second email links nothing by itself: it is used only once the device has given the main one.
          const used = customer.emails.length > 1 && emailGiven && chance(0.5) ? customer.emails[1]! : email;
          emailGiven = true;
          const props: Record<string, unknown> = { email: scramble(used) };
          const extra = [register('email', used, customer.id, 'customer')];
          if (customer.junk && chance(0.5)) {
            props.phone = JUNK_PHONE;
            extra.push(register('phone', JUNK_PHONE, customer.id, 'junk'));
          }
          emit({ customer, device, t, type: 'track', fields: { event: 'Order Completed', properties: order(props) }, extra });
        } else if (linkBy !== 'none' && chance(o.signupEmailRate)) {
          stats.signupEmails++;
          emailGiven = true;
          emit({ customer, device, t, type: 'identify', fields: { traits: { email: scramble(email), newsletter: true } }, extra: [register('email', email, customer.id, 'customer')] });
        } else if (customer.junk && chance(0.3)) {
          // A broken form: identify with email "null".
          stats.junkEvents++;
          emit({ customer, device, t, type: 'identify', fields: { traits: { email: 'null' } }, extra: [register('email', 'null', customer.id, 'junk')] });
        }
        t += HOUR + Math.floor(rand() * 72 * HOUR);
      }
    }
    if (junkUserId && chance(o.serverJunkRate)) {
      // Server-side events with a junk userId and nothing else: no identifier is left to resolve them by.
      const count = 1 + Math.floor(rand() * 2);
      for (let k = 0; k < count; k++) {
        stats.serverJunkEvents++;
        emit({ customer, t: begin + Math.floor(rand() * 5 * 24 * HOUR), type: 'track', userId: junkUserId, fields: { event: 'Email Opened', properties: { campaign: 'weekly' } } });
      }
    }
  }

  // Kiosks: each visited by registered customers (each customer visits at most one kiosk).
  const registered = [...truth.customers.values()].filter((c) => c.userId !== undefined);
  for (let k = 0; k < o.kiosks && registered.length > 0; k++) {
    const kioskId = `${o.prefix}-kiosk-${k}`;
    for (let v = 0; v < o.kioskVisitors && registered.length > 0; v++) {
      const customer = registered.splice(Math.floor(rand() * registered.length), 1)[0]!;
      customer.kiosks.push(kioskId);
      const device: Device = { anonymousId: kioskId, app: false };
      let t = o.startMs + Math.floor(rand() * o.days * 24 * HOUR);
      const anonymous = int(o.kioskAnonymousEvents);
      for (let e = 0; e < anonymous; e++) {
        t += 20_000 + Math.floor(rand() * 60_000);
        stats.kioskAnonymousEvents++;
        browse(customer, device, t);
      }
      t += 20_000;
      stats.kioskLogins++;
      device.userId = customer.userId;
      const traits: Record<string, unknown> = { first_name: `First${customer.id}` };
      const extra: string[] = [];
      if (chance(0.5)) {
        traits.email = scramble(customer.emails[0]!);
        extra.push(register('email', customer.emails[0]!, customer.id, 'customer'));
      }
      emit({ customer, device, t, type: 'identify', fields: { traits }, extra });
      const after = 1 + Math.floor(rand() * 3);
      for (let e = 0; e < after; e++) {
        t += 20_000 + Math.floor(rand() * 60_000);
        browse(customer, device, t);
      }
      if (chance(0.5)) {
        t += 30_000;
        emit({ customer, device, t, type: 'track', fields: { event: 'Order Completed', properties: order({ email: scramble(customer.emails[0]!) }) }, extra: [register('email', customer.emails[0]!, customer.id, 'customer')] });
      }
    }
  }

  // Delivery: timestamp order, except a fraction moved to a random place.
  drafts.sort((a, b) => a.t - b.t || (a.item.messageId < b.item.messageId ? -1 : 1));
  const n = drafts.length;
  const keyed = drafts.map((d, index) => {
    d.truth.chronological = index;
    const moved = chance(o.outOfOrderRate);
    if (moved) stats.outOfOrder++;
    return { d, key: moved ? Math.floor(rand() * n) + 0.5 : index };
  });
  keyed.sort((a, b) => a.key - b.key);
  const events = keyed.map((k) => k.d.item);
  const batches: BatchItem[][] = [];
  for (let start = 0; start < n; start += o.batchSize) batches.push(events.slice(start, start + o.batchSize));
  stats.events = n;
  stats.batches = batches.length;
  return { options: o, events, batches, truth, stats };
}

// ───────────────────────────────── scoring ─────────────────────────────────

export interface ResolvedIdentifierRow {
  profile_id: string;
  identifier_type: string;
  identifier: string;
}

export interface ResolvedMapping {
  /** message_id → profile_id, as read from `events_resolved` ('' = no profile). Events not listed are missing. */
  events?: Iterable<readonly [string, string]>;
  /** Rows of `profile_identifiers`. */
  identifiers?: Iterable<ResolvedIdentifierRow>;
}

export interface PairCounts {
  events: number;
  truePairs: number;
  predictedPairs: number;
  truePositives: number;
  precision: number;
  recall: number;
}

export interface OverMerge {
  profileId: string;
  /** Customer → events in the profile. */
  customers: Record<string, number>;
  unexplained: string[];
  cause: 'blocked' | 'other' | 'shared';
}

export interface IdentityScore extends PairCounts {
  /** Events with a profile, with '' (no profile), and with no row at all. */
  resolvedEvents: number;
  unresolvedEvents: number;
  missingEvents: number;
  profiles: number;
  attributable: PairCounts & { attainablePairs: number; attainableRecall: number };
  bounds: { attainablePairs: number; recallFloor: number; falsePairBound: number; precisionFloor: number };
  junkOnlyEvents: number;
  junkOnlyResolved: number;
  overMerges: { blocked: number; other: number; sharedCore: number; profiles: OverMerge[] };
  identifiers?: {
    rows: number;
    junkHeld: ResolvedIdentifierRow[];
    mixedProfiles: string[];
    userIds: {
      used: number;
      heldByOneProfile: number;
      notHeld: string[];
      heldBySeveral: string[];
      profilesWithSeveralUserIds: string[];
      /** User ids whose events are under 2+ profiles, or under another profile than the one holding the id. */
      eventsSplit: string[];
    };
  };
}

const c2 = (n: number) => (n * (n - 1)) / 2;
const ratio = (num: number, den: number) => (den === 0 ? 1 : num / den);

function pairCounts(items: Iterable<{ profile: string; customer: string }>): PairCounts {
  const cells = new Map<string, number>();
  const profiles = new Map<string, number>();
  const customers = new Map<string, number>();
  let events = 0;
  for (const { profile, customer } of items) {
    events++;
    customers.set(customer, (customers.get(customer) ?? 0) + 1);
    if (!profile) continue;
    profiles.set(profile, (profiles.get(profile) ?? 0) + 1);
    const cell = `${profile}\u0000${customer}`;
    cells.set(cell, (cells.get(cell) ?? 0) + 1);
  }
  let truePairs = 0, predictedPairs = 0, truePositives = 0;
  for (const n of customers.values()) truePairs += c2(n);
  for (const n of profiles.values()) predictedPairs += c2(n);
  for (const n of cells.values()) truePositives += c2(n);
  return { events, truePairs, predictedPairs, truePositives, precision: ratio(truePositives, predictedPairs), recall: ratio(truePositives, truePairs) };
}

/** Grades a resolution against the truth; see the definitions at the top of this file. Pure. */
export function scoreIdentity(truth: ScenarioTruth, resolved: ResolvedMapping): IdentityScore {
  const profileOf = new Map<string, string>();
  for (const [messageId, profileId] of resolved.events ?? []) profileOf.set(messageId, profileId);
  const events = [...truth.events.values()];
  const kindOf = (key: string) => truth.identifiers.get(key)?.kind;

  // Attainable partition: union-find over events joined by `customer` identifiers.
  const parent = events.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const firstWith = new Map<string, number>();
  const attributable: boolean[] = [];
  events.forEach((e, i) => {
    let any = false;
    for (const key of e.identifiers) {
      if (kindOf(key) !== 'customer') continue;
      any = true;
      const j = firstWith.get(key);
      if (j === undefined) firstWith.set(key, i);
      else parent[find(i)] = find(j);
    }
    attributable.push(any);
  });
  const components = new Map<number, { size: number; customer: string }>();
  events.forEach((e, i) => {
    if (!attributable[i]) return;
    const root = find(i);
    const comp = components.get(root);
    if (!comp) components.set(root, { size: 1, customer: e.customer });
    else {
      if (comp.customer !== e.customer) throw new Error(`truth is inconsistent: a customer identifier links ${comp.customer} and ${e.customer}`);
      comp.size++;
    }
  });
  let attainablePairs = 0;
  for (const comp of components.values()) attainablePairs += c2(comp.size);

  let missingEvents = 0, unresolvedEvents = 0, junkOnlyEvents = 0, junkOnlyResolved = 0;
  const items = events.map((e) => {
    const profile = profileOf.get(e.messageId);
    if (profile === undefined) missingEvents++;
    else if (profile === '') unresolvedEvents++;
    return { profile: profile ?? '', customer: e.customer };
  });
  events.forEach((e, i) => {
    if (e.identifiers.every((key) => kindOf(key) === 'junk')) {
      junkOnlyEvents++;
      if (items[i]!.profile) junkOnlyResolved++;
    }
  });
  const all = pairCounts(items);
  const attributableCounts = pairCounts(items.filter((_, i) => attributable[i]));

  // The false-pair bound of ambiguous kiosk events (see the definitions above).
  const eventsOf = new Map<string, number>();
  for (const e of events) eventsOf.set(e.customer, (eventsOf.get(e.customer) ?? 0) + 1);
  const ambiguousOn = new Map<string, number>();
  events.forEach((e, i) => {
    if (attributable[i]) return;
    for (const key of e.identifiers) if (kindOf(key) === 'shared') ambiguousOn.set(key, (ambiguousOn.get(key) ?? 0) + 1);
  });
  let falsePairBound = 0;
  const kiosks = [...ambiguousOn];
  kiosks.forEach(([key, a], k) => {
    const users = truth.identifiers.get(key)!.customers;
    falsePairBound += a * Math.max(0, ...[...users].map((c) => eventsOf.get(c) ?? 0)) + c2(a);
    // Two kiosks' anonymous events meet in one profile only if it holds both ids, which takes a customer
    // who used both (a kiosk id joins a profile only through events of that kiosk's users).
    for (const [other, b] of kiosks.slice(k + 1)) {
      if ([...truth.identifiers.get(other)!.customers].some((c) => users.has(c))) falsePairBound += a * b;
    }
  });

  // Over-merges, per profile.
  interface ProfileInfo { customers: Map<string, number>; core: Map<string, number>; shared: Set<string> }
  const byProfile = new Map<string, ProfileInfo>();
  events.forEach((e, i) => {
    const profile = items[i]!.profile;
    if (!profile) return;
    let info = byProfile.get(profile);
    if (!info) byProfile.set(profile, (info = { customers: new Map(), core: new Map(), shared: new Set() }));
    info.customers.set(e.customer, (info.customers.get(e.customer) ?? 0) + 1);
    if (attributable[i]) info.core.set(e.customer, (info.core.get(e.customer) ?? 0) + 1);
    for (const key of e.identifiers) if (kindOf(key) === 'shared') info.shared.add(key);
  });
  const junkOf = new Map<string, Set<string>>();
  for (const [key, id] of truth.identifiers) {
    if (id.kind !== 'junk') continue;
    for (const c of id.customers) {
      if (!junkOf.has(c)) junkOf.set(c, new Set());
      junkOf.get(c)!.add(key);
    }
  }
  const overMerges: IdentityScore['overMerges'] = { blocked: 0, other: 0, sharedCore: 0, profiles: [] };
  for (const [profileId, info] of byProfile) {
    if (info.customers.size < 2) continue;
    const ranked = [...info.customers.keys()].sort((a, b) => (info.core.get(b) ?? 0) - (info.core.get(a) ?? 0) || info.customers.get(b)! - info.customers.get(a)! || (a < b ? -1 : 1));
    const main = ranked[0]!;
    const explained = new Set([main]);
    for (const key of info.shared) for (const c of truth.identifiers.get(key)!.customers) explained.add(c);
    const unexplained = ranked.filter((c) => !explained.has(c));
    const customers = Object.fromEntries(info.customers);
    if (unexplained.length > 0) {
      const sharesJunk = (c: string) => ranked.some((other) => other !== c && [...(junkOf.get(c) ?? [])].some((k) => junkOf.get(other)?.has(k)));
      const cause = unexplained.every(sharesJunk) ? 'blocked' : 'other';
      overMerges[cause]++;
      overMerges.profiles.push({ profileId, customers, unexplained, cause });
    } else if (info.core.size >= 2) {
      overMerges.sharedCore++;
      overMerges.profiles.push({ profileId, customers, unexplained, cause: 'shared' });
    }
  }

  const score: IdentityScore = {
    ...all,
    resolvedEvents: events.length - missingEvents - unresolvedEvents,
    unresolvedEvents,
    missingEvents,
    profiles: byProfile.size,
    attributable: { ...attributableCounts, attainablePairs, attainableRecall: ratio(attainablePairs, attributableCounts.truePairs) },
    bounds: {
      attainablePairs,
      recallFloor: ratio(attainablePairs, all.truePairs),
      falsePairBound,
      precisionFloor: ratio(attainablePairs, attainablePairs + falsePairBound),
    },
    junkOnlyEvents,
    junkOnlyResolved,
    overMerges,
  };

  if (resolved.identifiers) {
    const rows = [...resolved.identifiers];
    const junkHeld = rows.filter((r) => kindOf(identifierKey(r.identifier_type, r.identifier)) === 'junk' || isJunkValue(r.identifier));
    const customersOfProfile = new Map<string, Set<string>>();
    const holders = new Map<string, string[]>();
    const userIdsOfProfile = new Map<string, number>();
    for (const r of rows) {
      const id = truth.identifiers.get(identifierKey(r.identifier_type, r.identifier));
      if (id?.kind === 'customer') {
        if (!customersOfProfile.has(r.profile_id)) customersOfProfile.set(r.profile_id, new Set());
        for (const c of id.customers) customersOfProfile.get(r.profile_id)!.add(c);
      }
      if (r.identifier_type === 'user_id') {
        userIdsOfProfile.set(r.profile_id, (userIdsOfProfile.get(r.profile_id) ?? 0) + 1);
        if (id) holders.set(r.identifier, [...(holders.get(r.identifier) ?? []), r.profile_id]);
      }
    }
    const used = [...truth.identifiers.values()].filter((id) => id.type === 'user_id' && id.kind === 'customer');
    const profilesOfUserEvents = new Map<string, Set<string>>();
    events.forEach((e, i) => {
      for (const key of e.identifiers) {
        const id = truth.identifiers.get(key)!;
        if (id.type !== 'user_id' || id.kind !== 'customer') continue;
        if (!profilesOfUserEvents.has(id.value)) profilesOfUserEvents.set(id.value, new Set());
        profilesOfUserEvents.get(id.value)!.add(items[i]!.profile);
      }
    });
    score.identifiers = {
      rows: rows.length,
      junkHeld,
      mixedProfiles: [...customersOfProfile].filter(([, cs]) => cs.size > 1).map(([p]) => p),
      userIds: {
        used: used.length,
        heldByOneProfile: used.filter((id) => holders.get(id.value)?.length === 1).length,
        notHeld: used.filter((id) => !holders.has(id.value)).map((id) => id.value),
        heldBySeveral: used.filter((id) => (holders.get(id.value)?.length ?? 0) > 1).map((id) => id.value),
        profilesWithSeveralUserIds: [...userIdsOfProfile].filter(([, n]) => n > 1).map(([p]) => p),
        eventsSplit: used
          .filter((id) => {
            const ps = profilesOfUserEvents.get(id.value) ?? new Set();
            const holder = holders.get(id.value);
            return ps.size !== 1 || holder?.length !== 1 || !ps.has(holder[0]!);
          })
          .map((id) => id.value),
      },
    };
  }
  return score;
}
