import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { EnrichedEvent } from '../../pipeline/core/load-job.js';
import { statedConsent } from './consent-preferences.js';

/** One category an event states, under the profile the event resolved to (profile_consent). */
export interface ConsentRow {
  profile_id: string;
  category: string;
  granted: boolean;
  message_id: string;
  source_id: string;
  stated_at: string;
  received_at: string;
}

/** The profile_consent rows of an accepted event: one per category it states; none without a profile. */
export function consentRows(e: EnrichedEvent, profileId: string): ConsentRow[] {
  const stated = statedConsent(e.context);
  if (!stated || !profileId) return [];
  const statedAt = chTime(e.timestamp);
  const receivedAt = chTime(e.receivedAt);
  return Object.entries(stated).map(([category, granted]) => ({
    profile_id: profileId,
    category,
    granted,
    message_id: e.messageId,
    source_id: e.sourceId,
    stated_at: statedAt,
    received_at: receivedAt,
  }));
}
