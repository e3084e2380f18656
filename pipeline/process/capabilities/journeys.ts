import { profileKeys } from '../../redis/key-names.js';
import type { EventDestinationStore } from '../../destinations/event-destination-store.js';
import type { LoadedEvent } from '../../load/load-batch.js';
import { createJourneyEngine } from '../../../journeys/journey-engine.js';
import { startJourneyWorker } from '../../../journeys/journey-worker.js';
import { dateEntries, syncDateSchedule } from '../../../journeys/date-entries.js';
import { entryHandlers, journeyFanOut, journeyJobHook, journeySegmentHook } from '../../../journeys/journey-entries.js';
import { journeyInstances } from '../../../journeys/journey-instances.js';
import { createJourneyQueue, type JourneyQueue } from '../../../journeys/journey-queue.js';
import { journeyRecords } from '../../../journeys/journey-records.js';
import { forgetJourneyProfiles } from '../../../journeys/journey-redaction.js';
import { journeyRoutes } from '../../../journeys/journey-routes.js';
import { createJourneyStore, type JourneyStore } from '../../../journeys/journey-store.js';
import type { MessageSender } from '../../../journeys/messages/message-sender.js';
import type { SegmentRunCommitted } from '../../../segments/membership/membership-runner.js';
import { ownClickHouse, ownRedis, type Base, type Served } from './base.js';
import type { HeldClickHouse } from './clickhouse-held.js';

/** What the journeys hand the parts that feed them, opened before those start: each hook only queues. */
export interface JourneyHooks {
  store: JourneyStore;
  queue: JourneyQueue;
  /** The loader's fan-out to the journeys (event entries, exits, waits for an event, goals). */
  fanOut(events: LoadedEvent[]): Promise<void>;
  /** A committed segment run (segment entries). */
  onSegmentRun(run: SegmentRunCommitted): Promise<void>;
  /** A committed job run (lifecycle entries). */
  onJobRun(job: string, asOf: number): Promise<void>;
}

export function openJourneys(base: Base): JourneyHooks {
  const store = createJourneyStore(base.appRedis, base.redisKeys.journeys);
  const queue = createJourneyQueue(base.appRedis, base.config.QUEUE_PREFIX);
  queue.on('error', (err) => base.log.warn({ err: err.message }, 'journeys queue error'));
  base.onClose(() => queue.close());
  return { store, queue, fanOut: journeyFanOut(store, queue), onSegmentRun: journeySegmentHook(store, queue), onJobRun: journeyJobHook(store, queue) };
}

/** Steps run this many at a time per worker process: most wait on Redis, ClickHouse (a branch) or a channel. */
const CONCURRENCY = 128;

/**
 * Journeys wherever ClickHouse is held: their routes (`/v1/journeys`), and with the workers role the engine's
 * worker (steps, waits, entries) and the date entries' daily schedules. The sender is messages' (journeys/messages/).
 */
export async function startJourneys(
  base: Base,
  deps: { hooks: JourneyHooks; held: HeldClickHouse; sender: MessageSender; segmentExists(id: string): Promise<boolean>; destinations: EventDestinationStore; loadWorkers: boolean },
): Promise<Served & { forget(profiles: string[]): Promise<number> }> {
  const { config } = base;
  const log = base.log.child({ role: 'journeys' });
  const { store, queue } = deps.hooks;
  const database = config.CLICKHOUSE_DATABASE;
  const timeZone = config.JOURNEYS_TIME_ZONE ?? config.SEGMENTS_TIME_ZONE;
  // The worker's own connection: branches and records must not wait behind a job or a page.
  const clickhouse = deps.loadWorkers ? await ownClickHouse(base) : deps.held.admin;
  const instances = journeyInstances(base.appRedis, base.redisKeys.journeys);
  const records = journeyRecords(clickhouse, database);
  base.onClose(() => records.close());
  const engine = createJourneyEngine({ store, instances, records, queue, sender: deps.sender, clickhouse, database, segmentsTimeZone: config.SEGMENTS_TIME_ZONE, mergedInto: (profileId) => base.appRedis.smembers(profileKeys(base.redisKeys.identity, profileId).merged), log });
  if (deps.loadWorkers) {
    for (const journey of await store.list()) await syncDateSchedule(queue, journey.id, journey.entry, timeZone);
    const entries = entryHandlers({ engine, store, clickhouse, database });
    const date = dateEntries({ engine, store, clickhouse, database, timeZone });
    const worker = startJourneyWorker(ownRedis(base, 'worker'), config.QUEUE_PREFIX, CONCURRENCY, { step: engine.runStep, timeout: engine.runTimeout, date, ...entries }, log);
    base.onClose((redisGone) => worker.close(redisGone));
  }
  const routeDeps = {
    store,
    lookups: {
      segmentExists: deps.segmentExists,
      templateChannel: (id: string) => deps.sender.templateChannel(id),
      subscriptionGroupExists: (id: string) => deps.sender.subscriptionGroupExists(id),
      destinationExists: async (id: string) => (await deps.destinations.get(id)) !== undefined,
    },
    schedule: (id: string, entry: Parameters<typeof syncDateSchedule>[2]) => syncDateSchedule(queue, id, entry, timeZone),
    endAll: engine.endAll,
    activeCount: instances.activeCount,
    clickhouse: deps.held.admin,
    database,
  };
  return {
    forget: (profiles) => forgetJourneyProfiles(store, instances, queue, profiles),
    routes: async (app) => {
      await app.register(journeyRoutes, routeDeps);
    },
  };
}
