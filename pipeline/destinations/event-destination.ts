import type { EnrichedEvent } from '../core/load-job.js';

// An event destination: where loaded events stream out, which of them, in what shape, under which consent.

export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export const DESTINATION_FORMATS = ['webhook', 'segment'] as const;
export type DestinationFormat = (typeof DESTINATION_FORMATS)[number];

/**
 * Which events go out: every list that is not empty must hold the event's value (exclude_events must not).
 * `events` and `exclude_events` name track events: other types pass them (`types` decides about those).
 */
export interface EventFilter {
  types: (typeof EVENT_TYPES)[number][];
  events: string[];
  exclude_events: string[];
  sources: string[];
}

/** An event destination as the API shows it: never with its secret or write key. */
export interface EventDestination {
  id: string;
  type: 'events';
  name: string;
  format: DestinationFormat;
  url: string;
  filter: EventFilter;
  transform: string | null;
  consent_categories: string[];
  batch_size: number;
  max_wait_ms: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  paused: boolean;
  /** Set when the receiver answered 410 Gone: nothing is delivered until it is resumed. */
  disabled_at: string | null;
  disabled_reason: string | null;
}

/** With what signs or authenticates its deliveries: the webhook secret, or the segment write key. */
export interface EventDestinationWithSecret extends EventDestination {
  credential: string;
  /** Connections are checked against private addresses (every destination created through this API is). */
  guarded: boolean;
}

/** Whether the event passes the destination's filter. */
export function passesFilter(filter: EventFilter, e: Pick<EnrichedEvent, 'type' | 'event' | 'sourceId'>): boolean {
  if (filter.types.length > 0 && !filter.types.includes(e.type)) return false;
  if (filter.sources.length > 0 && !filter.sources.includes(e.sourceId)) return false;
  if (filter.events.length > 0 && e.type === 'track' && !filter.events.includes(e.event ?? '')) return false;
  if (filter.exclude_events.length > 0 && e.type === 'track' && filter.exclude_events.includes(e.event ?? '')) return false;
  return true;
}
