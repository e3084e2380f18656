import { createHash } from 'node:crypto';

// Every Redis key name the product forms, and nowhere else. Keys are laid out by owner: each queue and each
// store has a hash tag of its own, `{base:owner}` (base: QUEUE_PREFIX without braces), so that on a Redis
// Cluster an owner's keys sit in one slot (its scripts and transactions touch only its own keys) while the
// owners spread over the masters. Below the tag, a key keeps the name it had when every key shared the one
// tag `{cdp}` (`{cdp}:id:idx` is now `{cdp:identity}:id:idx`): `renamedFromOneTag` moves such keys.
// Lua scripts spell no names: they are handed theirs as KEYS, and the prefixes of the keys they form from
// ids they find as ARGV (under the same tag as their KEYS).
//
// A new owner takes its own tag with one line: a queue in QUEUE_NAMES (its BullMQ prefix is then
// `queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.x)`), a store in STORE_OWNERS (its names then formed in
// redisKeyNames with `owned(prefix, STORE_OWNERS.x)`).

/** BullMQ queues, each under its own tag (queuePrefix); their keys below it are BullMQ's. */
export const QUEUE_NAMES = {
  /** Group commits from the tracking API to the load workers. */
  load: 'load',
  /** Scheduled SQL jobs of the customer model. */
  jobs: 'jobs',
  /** Scheduled segment membership runs. */
  segments: 'segments',
  /** Audience webhook deliveries. */
  webhooks: 'webhooks',
  /** The alerts' evaluation, one job per minute. */
  alerts: 'alerts',
  /** Alert state changes sent to the alerts' webhooks. */
  alertDeliveries: 'alert-deliveries',
  /** Journey steps (waits as delayed jobs), wait_for timeouts, loaded events and entries for the journeys. */
  journeys: 'journeys',
} as const;

/** The stores keeping keys of their own in Redis, each under its own tag. */
export const STORE_OWNERS = {
  /** The live identity graph: in one slot, since one script call resolves a batch against the whole graph. */
  identity: 'identity',
  /** Audience webhooks and event destinations: definitions, secrets, leases, delivery states. */
  destinations: 'destinations',
  trackingPlans: 'tracking-plans',
  alerts: 'alert-store',
  installation: 'installation',
  /** Journeys: definitions and live instances (an instance's scripts touch its journey's and profile's keys). */
  journeys: 'journey-store',
  /** Messages: templates, subscription groups, the frequency cap's counts, send leases. */
  messages: 'message-store',
} as const;

/**
 * Dedupe claims, the busiest keys of all (one per event loaded), spread over this many tags `{base:dedupe-N}`,
 * N from the claim's own hash. Each claim is independent: a batch's claims are made with one script call per tag.
 */
export const DEDUPE_TAGS = 16;

/** The queue of one event destination: its events waiting, in load order, and its dead letters (failed jobs). */
export function eventDestinationQueue(destinationId: string): string {
  return `destination-${destinationId}`;
}

/** The base of every name: QUEUE_PREFIX without the braces it may be given in (`{cdp}` and `cdp`: `cdp`). */
export function keyBase(queuePrefix: string): string {
  return queuePrefix.replace(/^\{(.*)\}$/, '$1');
}

/** The hash tag of one owner (a queue's name, a store's owner): `{base:owner}`. */
export function ownerTag(queuePrefix: string, owner: string): string {
  return `{${keyBase(queuePrefix)}:${owner}}`;
}

/** BullMQ's prefix of one queue: its own tag (BullMQ needs every key of a queue in one slot). */
export function queuePrefix(queuePrefix: string, queueName: string): string {
  return ownerTag(queuePrefix, queueName);
}

/** SCAN pattern matching every key of the installation, whatever its owner. */
export function everyInstallationKey(queuePrefix: string): string {
  return `{${keyBase(queuePrefix)}:*`;
}

function owned(queuePrefix: string, owner: string): (name: string) => string {
  const tag = ownerTag(queuePrefix, owner);
  return (name) => `${tag}:${name}`;
}

function dedupeTag(digest: string): string {
  return `dedupe-${Buffer.from(digest, 'base64url')[0]! % DEDUPE_TAGS}`;
}

/**
 * API keys, shared by every process of an installation. They are not under QUEUE_PREFIX, nor moved (the keys
 * themselves name no installation part), and neither is the channel announcing their changes.
 */
export const API_KEY_NAMES = {
  /** hash: write key → its source, as given. */
  write: 'cdp:keys:write',
  /** hash: SHA-256 of a read, audience or admin key → its scope and name. */
  secret: 'cdp:keys:secret',
  /** pub/sub channel: a key's id whenever a key is created or revoked. */
  changed: 'cdp:keys:changed',
} as const;

/** The live identity graph (identity/lua/*.lua writes it, identity/rebuild.ts makes it again). */
export interface IdentityGraphKeys {
  /** hash: `type\x1fvalue` → the profile holding that identifier. */
  index: string;
  /** hash: profile id → the seq of its creation (the oldest survives a merge). */
  created: string;
  /** set: keyed hashes of deleted customers' identifiers (identity/suppression-hash.ts). */
  suppressed: string;
  /** counter: the order of resolution across every worker. */
  seq: string;
  /** Followed by a profile id: set of its `type\x1fvalue` identifiers. */
  profileIdentifiersPrefix: string;
  /** Followed by a profile id: hash of identifier type → how many it holds. */
  profileCountsPrefix: string;
  /** Followed by a profile id: set of the profiles merged into it. */
  profileMergedPrefix: string;
  /** SCAN pattern matching every key of the graph. */
  everyKey: string;
}

/** A profile's own keys in the identity graph. */
export function profileKeys(graph: IdentityGraphKeys, profileId: string) {
  return {
    identifiers: `${graph.profileIdentifiersPrefix}${profileId}`,
    counts: `${graph.profileCountsPrefix}${profileId}`,
    merged: `${graph.profileMergedPrefix}${profileId}`,
  };
}

/**
 * Destinations: audience webhooks (segments/destinations/destination-store.ts) and event destinations
 * (pipeline/destinations/event-destination-store.ts) share one id space.
 */
export interface DestinationKeys {
  /** set: every destination id. */
  all: string;
  /** hash: one destination, secret or write key included. */
  one(id: string): string;
  /** set: the destination ids of a segment. */
  ofSegment(segmentId: string): string;
  /** set: the event destination ids. */
  events: string;
  /** string: the token of the process delivering an event destination's queue (one batch in flight). */
  deliveryLease(id: string): string;
  /** hash: how an event destination's deliveries go (failing since, last error, last delivery), for the dashboard. */
  deliveryState(id: string): string;
}

/** Alerts (segments/alerts/): what of them lives in Redis. */
export interface AlertKeys {
  /** string: an alert's webhook secret (kept out of ClickHouse). */
  secret(alertId: string): string;
  /** hash: an alert's live state (state, since, value, evaluated_at, change_at, ...). */
  state(alertId: string): string;
  /** string: a metric's value in the minute ending at `minuteMs` ('' when it had none), kept for the history's span. */
  metricValue(metric: string, minuteMs: number): string;
}

/** Tracking plans (ingest/tracking-plans/): published where ClickHouse is held, read by every tracking API. */
export interface TrackingPlanKeys {
  /** hash: plan id → its current version as JSON (id, version and body); a deleted plan's field is removed. */
  current: string;
  /** pub/sub channel: `id@version` (or `id@deleted`) whenever a plan is written. */
  changed: string;
}

/** Messages (journeys/messages/): templates, subscription groups, and the frequency cap's counts. */
export interface MessageKeys {
  /** hash: template id → the template as JSON. */
  templates: string;
  /** hash: subscription group id → the group as JSON. */
  subscriptionGroups: string;
  /** hash: message id → the local day it was sent on, for one profile and channel (the frequency cap). */
  sentToday(profileId: string, channel: string): string;
  /** string: held while one process sends a message id, so that two attempts never send it at once. */
  sending(messageId: string): string;
}

/** Journeys (journeys/): definitions and the live instances, all in Redis. */
export interface JourneyKeys {
  /** set: every journey id. */
  all: string;
  /** counter: raised on every change of a definition, so the loader's hook knows when to read them again. */
  changed: string;
  /** hash: a journey's head (name, current version, paused, created_at, ...). */
  one(journeyId: string): string;
  /** hash: version → the definition as JSON; instances finish on the version they entered with. */
  versions(journeyId: string): string;
  /** hash: profile id → its active instance (one per profile and journey). */
  active(journeyId: string): string;
  /** hash: profile id → when its latest instance entered or, once it left, left (epoch ms): the re-entry rules read it. */
  history(journeyId: string): string;
  /** hash: one instance (journey, version, profile, at: step:visit, waiting, v:<step> visits, entry event). */
  instance(instanceId: string): string;
  /** set: the active instance ids of a profile. */
  profileInstances(profileId: string): string;
  /** hash: instance id → its goal watch (JSON: journey, version, event, until) of a profile, until reached or past. */
  goals(profileId: string): string;
}

export interface RedisKeyNames {
  identity: IdentityGraphKeys;
  messages: MessageKeys;
  destinations: DestinationKeys;
  trackingPlans: TrackingPlanKeys;
  alerts: AlertKeys;
  journeys: JourneyKeys;
  /** string: the load job that claimed a message (per source) within the dedupe window. */
  dedupeClaim(sourceId: string, messageId: string): string;
  /** string: an HMAC of a fixed text under the installation secret (pipeline/core/installation-secret.ts). */
  installationSecretCheck: string;
  /** string: the key layout this Redis was moved to (pipeline/redis/key-layout-migration.ts). */
  keyLayout: string;
  /** string: the token of the process moving keys to that layout (one at a time). */
  keyLayoutLock: string;
}

/** The key names of the installation under QUEUE_PREFIX. */
export function redisKeyNames(prefix: string): RedisKeyNames {
  const id = owned(prefix, STORE_OWNERS.identity);
  const destination = owned(prefix, STORE_OWNERS.destinations);
  const plan = owned(prefix, STORE_OWNERS.trackingPlans);
  const alert = owned(prefix, STORE_OWNERS.alerts);
  const journey = owned(prefix, STORE_OWNERS.journeys);
  const message = owned(prefix, STORE_OWNERS.messages);
  return {
    identity: {
      index: id('id:idx'),
      created: id('id:created'),
      suppressed: id('id:sup'),
      seq: id('id:seq'),
      profileIdentifiersPrefix: id('id:p:'),
      profileCountsPrefix: id('id:c:'),
      profileMergedPrefix: id('id:m:'),
      everyKey: id('id:*'),
    },
    destinations: {
      all: destination('destinations'),
      one: (destinationId) => destination(`destination:${destinationId}`),
      ofSegment: (segmentId) => destination(`segment-destinations:${segmentId}`),
      events: destination('event-destinations'),
      deliveryLease: (destinationId) => destination(`destination-lease:${destinationId}`),
      deliveryState: (destinationId) => destination(`destination-state:${destinationId}`),
    },
    messages: {
      templates: message('message-templates'),
      subscriptionGroups: message('subscription-groups'),
      sentToday: (profileId, channel) => message(`message-cap:${channel}:${profileId}`),
      sending: (messageId) => message(`message-sending:${createHash('sha1').update(messageId).digest('base64url')}`),
    },
    trackingPlans: {
      current: plan('tracking-plans'),
      changed: plan('tracking-plans:changed'),
    },
    alerts: {
      secret: (alertId) => alert(`alert-secret:${alertId}`),
      state: (alertId) => alert(`alert-state:${alertId}`),
      metricValue: (metric, minuteMs) => alert(`alert-metric:${metric}:${minuteMs}`),
    },
    journeys: {
      all: journey('journeys'),
      changed: journey('journeys:changed'),
      one: (journeyId) => journey(`journey:${journeyId}`),
      versions: (journeyId) => journey(`journey-versions:${journeyId}`),
      active: (journeyId) => journey(`journey-active:${journeyId}`),
      history: (journeyId) => journey(`journey-history:${journeyId}`),
      instance: (instanceId) => journey(`journey-instance:${instanceId}`),
      profileInstances: (profileId) => journey(`journey-profile:${profileId}`),
      goals: (profileId) => journey(`journey-goals:${profileId}`),
    },
    // 96 bits of a hash of source and message id: about 80 bytes of Redis memory per claim.
    dedupeClaim: (sourceId, messageId) => {
      const digest = createHash('sha1').update(sourceId).update('\n').update(messageId).digest('base64url').slice(0, 16);
      return owned(prefix, dedupeTag(digest))(`dd:${digest}`);
    },
    installationSecretCheck: owned(prefix, STORE_OWNERS.installation)('secret:check'),
    keyLayout: owned(prefix, STORE_OWNERS.installation)('key-layout'),
    keyLayoutLock: owned(prefix, STORE_OWNERS.installation)('key-layout:lock'),
  };
}

// The owner of each key of the layout before tags per owner, by the first part of its name after `{cdp}:`.
const ONE_TAG_OWNERS: Record<string, string> = {
  id: STORE_OWNERS.identity,
  destinations: STORE_OWNERS.destinations,
  destination: STORE_OWNERS.destinations,
  'segment-destinations': STORE_OWNERS.destinations,
  'event-destinations': STORE_OWNERS.destinations,
  'destination-lease': STORE_OWNERS.destinations,
  'destination-state': STORE_OWNERS.destinations,
  'tracking-plans': STORE_OWNERS.trackingPlans,
  'alert-secret': STORE_OWNERS.alerts,
  'alert-state': STORE_OWNERS.alerts,
  'alert-metric': STORE_OWNERS.alerts,
  secret: STORE_OWNERS.installation,
};

/** SCAN pattern matching every key of the layout before tags per owner: every key under QUEUE_PREFIX as given. */
export function everyOneTagKey(prefix: string): string {
  return `${prefix}:*`;
}

/**
 * The name today of a key named before tags per owner (`{cdp}:id:idx` → `{cdp:identity}:id:idx`), or
 * undefined for a key of no kind the product knows. The rest of a name is unchanged below its new tag; a
 * queue's keys (`{cdp}:load:…`) go under the queue's tag, an event destination's queue (`destination-<id>`)
 * under its own.
 */
export function renamedFromOneTag(prefix: string, key: string): string | undefined {
  if (!key.startsWith(`${prefix}:`)) return undefined;
  const rest = key.slice(prefix.length + 1);
  const first = rest.split(':', 1)[0]!;
  const owner =
    ONE_TAG_OWNERS[first] ??
    (first === 'dd' ? dedupeTag(rest.slice(3)) : undefined) ??
    ((Object.values(QUEUE_NAMES) as string[]).includes(first) || first.startsWith(eventDestinationQueue('')) ? first : undefined);
  return owner === undefined ? undefined : owned(prefix, owner)(rest);
}
