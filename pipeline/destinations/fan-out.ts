import type { ClickHouseClient } from '../clickhouse/client.js';
import type { Logger } from '../core/logger.js';
import type { LoadedEvent } from '../load/load-batch.js';
import { consentAllows, statedConsent, type ConsentPreferences } from '../../identity/consent/consent-preferences.js';
import { readProfileConsent } from '../../identity/consent/profile-consent-reader.js';
import type { DestinationMetrics, EventOutcome } from './destination-metrics.js';
import { passesFilter, type EventDestinationWithSecret } from './event-destination.js';
import type { EventDestinationStore } from './event-destination-store.js';
import { FAN_OUT_DEDUPE_MS, fanOutJobId, type EventQueue, type OutgoingEvent } from './event-queue.js';
import { outgoingEvent } from './outgoing-event.js';
import { transformCache } from './transform.js';

export interface FanOutDeps {
  destinations: EventDestinationStore;
  queueOf(destinationId: string): EventQueue;
  clickhouse: ClickHouseClient;
  database: string;
  metrics: DestinationMetrics;
  log: Logger;
}

/** The profiles' latest consent, read once per fan-out and only for the profiles whose events leave a needed category unstated. */
async function profileConsent(deps: FanOutDeps, destinations: EventDestinationWithSecret[], events: LoadedEvent[]): Promise<Map<string, ConsentPreferences>> {
  const needed = [...new Set(destinations.flatMap((d) => d.consent_categories))];
  if (needed.length === 0) return new Map();
  const profiles = new Set<string>();
  for (const { e, profileId } of events) {
    const stated = statedConsent(e.context);
    if (profileId !== '' && needed.some((c) => stated?.[c] === undefined)) profiles.add(profileId);
  }
  return profiles.size === 0 ? new Map() : readProfileConsent(deps.clickhouse, deps.database, [...profiles]);
}

/**
 * The loader's fan-out (LoaderOptions.fanOut): each loaded event, for each event destination, through its filter,
 * its consent categories and its transform, into the destination's queue. One job per load job and destination
 * (split at batch_size), its id made from the load job's, so a retried load queues nothing twice. Only queue
 * writes: a slow or failing receiver never holds up the load.
 */
export function createFanOut(deps: FanOutDeps): (events: LoadedEvent[]) => Promise<void> {
  const transformOf = transformCache();
  return async (events) => {
    if (events.length === 0) return;
    const destinations = await deps.destinations.list();
    if (destinations.length === 0) return;
    const consentOf = await profileConsent(deps, destinations, events);
    await Promise.all(destinations.map(async (d) => {
      const counts = new Map<EventOutcome, number>();
      const count = (outcome: EventOutcome) => counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      const byJob = new Map<string, OutgoingEvent[]>();
      const transform = d.transform === null ? undefined : transformOf(d.id, d.updated_at, d.transform);
      let transformError: { messageId: string; err: string } | undefined;
      for (const { e, jobId, profileId } of events) {
        if (d.disabled_at !== null) {
          count('disabled');
          continue;
        }
        if (!passesFilter(d.filter, e)) {
          count('filtered');
          continue;
        }
        if (d.consent_categories.length > 0 && !consentAllows(d.consent_categories, statedConsent(e.context), consentOf.get(profileId))) {
          count('no_consent');
          continue;
        }
        let body: unknown = outgoingEvent(e, profileId);
        if (transform) {
          try {
            body = await transform(body as Record<string, unknown>);
          } catch (err) {
            count('transform_failed');
            transformError ??= { messageId: e.messageId, err: (err as Error).message };
            continue;
          }
          if (body === undefined || body === null) {
            count('filtered');
            continue;
          }
        }
        const list = byJob.get(jobId) ?? [];
        byJob.set(jobId, list);
        list.push({ m: e.messageId, p: profileId, r: e.receivedAt, body });
      }
      for (const [outcome, n] of counts) deps.metrics.events.inc({ destination: d.id, outcome }, n);
      // Once per group, not per event: a transform failing on every event must not flood the log.
      if (transformError) deps.log.warn({ destinationId: d.id, events: counts.get('transform_failed'), firstMessageId: transformError.messageId, err: transformError.err }, 'destination transform failed; events not sent');
      const jobs = [...byJob].flatMap(([jobId, list]) => {
        const parts = [];
        for (let i = 0, chunk = 0; i < list.length; i += d.batch_size, chunk++) {
          const id = fanOutJobId(jobId, chunk);
          parts.push({ name: 'events', data: { events: list.slice(i, i + d.batch_size) }, opts: { jobId: id, deduplication: { id, ttl: FAN_OUT_DEDUPE_MS } } });
        }
        return parts;
      });
      if (jobs.length > 0) await deps.queueOf(d.id).addBulk(jobs);
    }));
  };
}
