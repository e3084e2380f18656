import { createHash } from 'node:crypto';

// Every Redis key name the product forms, and nowhere else: the names are those written before this module
// existed, byte for byte, so that data already in Redis keeps working. A new layout (Redis Cluster hash tags
// per part, say) is made here. Lua scripts spell no names: they are handed theirs as KEYS, and the prefixes
// of the keys they form from ids they find as ARGV.

/** BullMQ queues; their own keys are BullMQ's, under QUEUE_PREFIX. */
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

/** The queue of one event destination: its events waiting, in load order, and its dead letters (failed jobs). */
export function eventDestinationQueue(destinationId: string): string {
  return `destination-${destinationId}`;
}

/**
 * API keys, shared by every process of an installation. They are not under QUEUE_PREFIX (the keys themselves
 * name no installation part), and neither is the channel announcing their changes.
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
}

/** The key names under QUEUE_PREFIX (by default `{cdp}`, a Redis Cluster hash tag: every key in one slot). */
export function redisKeyNames(prefix: string): RedisKeyNames {
  const id = `${prefix}:id:`;
  return {
    identity: {
      index: `${id}idx`,
      created: `${id}created`,
      suppressed: `${id}sup`,
      seq: `${id}seq`,
      profileIdentifiersPrefix: `${id}p:`,
      profileCountsPrefix: `${id}c:`,
      profileMergedPrefix: `${id}m:`,
      everyKey: `${id}*`,
    },
    destinations: {
      all: `${prefix}:destinations`,
      one: (destinationId) => `${prefix}:destination:${destinationId}`,
      ofSegment: (segmentId) => `${prefix}:segment-destinations:${segmentId}`,
      events: `${prefix}:event-destinations`,
      deliveryLease: (destinationId) => `${prefix}:destination-lease:${destinationId}`,
      deliveryState: (destinationId) => `${prefix}:destination-state:${destinationId}`,
    },
    messages: {
      templates: `${prefix}:message-templates`,
      subscriptionGroups: `${prefix}:subscription-groups`,
      sentToday: (profileId, channel) => `${prefix}:message-cap:${channel}:${profileId}`,
      sending: (messageId) => `${prefix}:message-sending:${createHash('sha1').update(messageId).digest('base64url')}`,
    },
    trackingPlans: {
      current: `${prefix}:tracking-plans`,
      changed: `${prefix}:tracking-plans:changed`,
    },
    alerts: {
      secret: (alertId) => `${prefix}:alert-secret:${alertId}`,
      state: (alertId) => `${prefix}:alert-state:${alertId}`,
      metricValue: (metric, minuteMs) => `${prefix}:alert-metric:${metric}:${minuteMs}`,
    },
    journeys: {
      all: `${prefix}:journeys`,
      changed: `${prefix}:journeys:changed`,
      one: (journeyId) => `${prefix}:journey:${journeyId}`,
      versions: (journeyId) => `${prefix}:journey-versions:${journeyId}`,
      active: (journeyId) => `${prefix}:journey-active:${journeyId}`,
      history: (journeyId) => `${prefix}:journey-history:${journeyId}`,
      instance: (instanceId) => `${prefix}:journey-instance:${instanceId}`,
      profileInstances: (profileId) => `${prefix}:journey-profile:${profileId}`,
      goals: (profileId) => `${prefix}:journey-goals:${profileId}`,
    },
    // 96 bits of a hash of source and message id: about 80 bytes of Redis memory per claim.
    dedupeClaim: (sourceId, messageId) => `${prefix}:dd:${createHash('sha1').update(sourceId).update('\n').update(messageId).digest('base64url').slice(0, 16)}`,
    installationSecretCheck: `${prefix}:secret:check`,
  };
}
