import { acceptCall } from './accept.js';
import { trackingLimits } from './tracking-limits.js';
import { LOAD_JOB_NAME } from '../pipeline/core/load-job.js';
import type { LoadQueue } from '../pipeline/redis/load-queue.js';
import { profileKeys, type IdentityGraphKeys } from '../pipeline/redis/key-names.js';
import { ProfileNotAddressableError } from './errors/profile-not-addressable-error.js';
import { compareIdentifiers } from '../identity/identifiers.js';
import type { RedisClient } from '../pipeline/redis/connection.js';

// Events the product records about a customer itself (a loyalty adjustment, a subscription change, an email
// opened): they go through the load queue like a shop's events, so dedupe by message id, identity, loading,
// erasure, destinations and every job treat them alike, and a rebuild from `events` finds them again.

/** The source id of the product's own events. */
export const PRODUCT_SOURCE_ID = 'cdp';

export interface ProfileEvent {
  event: string;
  properties: Record<string, unknown>;
  /** Deterministic, so that recording the same fact twice loads it once (dedupe by message id). */
  messageId: string;
  /** Epoch ms; now when absent. */
  timestamp?: number;
}

export interface ProfileEventDeps {
  redis: RedisClient;
  graph: IdentityGraphKeys;
  queue: LoadQueue;
  config: Parameters<typeof trackingLimits>[0];
}

/**
 * The fields of a track call that name this identifier, so that the event resolves to the profile holding it
 * without merging anything. A call needs a userId or an anonymousId: a profile known only by an email, a
 * phone or an external id is given the anonymous id `cdp-profile:<id>`, its own and nobody else's.
 */
function addressedBy(profileId: string, type: string, value: string): Record<string, unknown> {
  if (type === 'user_id') return { userId: value };
  if (type === 'anonymous_id') return { anonymousId: value };
  const anonymousId = `cdp-profile:${profileId}`;
  if (type === 'email') return { anonymousId, context: { traits: { email: value } } };
  if (type === 'phone') return { anonymousId, context: { traits: { phone: value } } };
  return { anonymousId, context: { externalIds: [{ id: value, type: type.slice('ext:'.length), collection: 'users', encoding: 'none' }] } };
}

/** A user id or an anonymous id addresses a profile alone; any other identifier needs an anonymous id beside it. */
const rank = (type: string) => (type === 'user_id' ? 0 : type === 'anonymous_id' ? 1 : 2);

/**
 * Queues `e` as a track event of source `cdp` for the live profile `profileId` (a survivor: a merged id holds
 * no identifier), addressed by its user id, else an anonymous id, else its
 * highest-priority identifier. Resolves once the event is in Redis.
 */
export async function recordProfileEvent(deps: ProfileEventDeps, profileId: string, e: ProfileEvent): Promise<void> {
  const members = await deps.redis.smembers(profileKeys(deps.graph, profileId).identifiers);
  const identifiers = members
    .map((m) => {
      const cut = m.indexOf('\u001f');
      return { type: m.slice(0, cut), value: m.slice(cut + 1) };
    })
    .filter((i) => i.type !== 'previous_id')
    .sort((a, b) => rank(a.type) - rank(b.type) || compareIdentifiers(a, b));
  const best = identifiers[0];
  if (!best) throw new ProfileNotAddressableError(profileId);
  const now = Date.now();
  const body = { ...addressedBy(profileId, best.type, best.value), event: e.event, properties: e.properties, messageId: e.messageId, timestamp: new Date(e.timestamp ?? now).toISOString() };
  const accepted = acceptCall('track', body, { route: 'internal', requestId: e.messageId, sourceId: PRODUCT_SOURCE_ID, ip: '', receivedAt: now }, trackingLimits(deps.config));
  if (accepted.events.length !== 1) throw new Error(`the product's own event "${e.event}" was refused: ${JSON.stringify(accepted.errors)}`);
  await deps.queue.add(LOAD_JOB_NAME, { events: accepted.events, rejected: [] });
}
