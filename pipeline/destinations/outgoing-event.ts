import type { EnrichedEvent } from '../core/load-job.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * The Segment-spec object of a loaded event, as the tracking API accepted it, with `context.cdp` naming its
 * profile and source: what a destination's transform takes and, without one, what is sent.
 */
export function outgoingEvent(e: EnrichedEvent, profileId: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: e.type,
    messageId: e.messageId,
    event: e.event,
    name: e.name,
    category: e.category,
    userId: e.userId,
    anonymousId: e.anonymousId,
    groupId: e.groupId,
    previousId: e.previousId,
    properties: e.properties,
    traits: e.traits,
    context: { ...e.context, cdp: { profile_id: profileId, source_id: e.sourceId } },
    integrations: e.integrations,
    timestamp: iso(e.timestamp),
    originalTimestamp: iso(e.originalTimestamp),
    sentAt: iso(e.sentAt),
    receivedAt: iso(e.receivedAt),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}
