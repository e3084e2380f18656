// The contract between ingest/ (producer) and the loader workers (consumer): one BullMQ job per group
// commit, holding every event and every rejection of the requests coalesced into it.

/** An accepted Segment message after enrichment. Times are epoch milliseconds (UTC). */
export interface EnrichedEvent {
  messageId: string;
  type: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
  event?: string;
  name?: string | null;
  category?: string | null;
  userId?: string | null;
  anonymousId?: string | null;
  groupId?: string;
  previousId?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context: Record<string, unknown>;
  integrations: Record<string, unknown>;
  timestamp: number;
  originalTimestamp: number;
  sentAt?: number;
  receivedAt: number;
  sourceId: string;
  /** What its source's tracking plan found wrong with it (absent when nothing, or no plan): loaded into tracking_violations. */
  planViolations?: PlanViolations;
}

/** The violation types of tracking plans, as RudderStack names them. */
export type ViolationType = 'unplanned_event' | 'required_missing' | 'datatype_mismatch' | 'additional_property' | 'format_mismatch';

export interface PlanViolation {
  violation: ViolationType;
  /** Where in the event, e.g. `properties.items.0.price`. */
  path: string;
  /** The schema's message. */
  message: string;
}

/** An accepted event's violations with the plan version that found them (ingest/tracking-plans/). */
export interface PlanViolations {
  planId: string;
  planVersion: number;
  found: PlanViolation[];
}

/** An event the API refused, kept with the reasons it was given back to the client. */
export interface RejectedEvent {
  rejectionId: string;
  receivedAt: number;
  sourceId: string;
  requestId: string;
  route: string;
  /**
   * Position of the item in its batch, from 0; 0 for a single call and for an event refused at load; −1 when
   * the batch body itself is refused (invalid_batch).
   */
  index: number;
  reason: string;
  errors: unknown;
  /** The event as sent, as JSON text, cut to a bounded size. */
  payload: string;
  ip: string;
  /** `type\x1fvalue` of the identifiers the item carries, normalised (absent in jobs queued before they were kept). */
  identifiers?: string[];
}

export interface LoadJobData {
  events: EnrichedEvent[];
  rejected: RejectedEvent[];
}

export const LOAD_JOB_NAME = 'group';
