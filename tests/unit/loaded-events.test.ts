import { describe, expect, test } from 'vitest';
import type { EnrichedEvent } from '../../pipeline/core/load-job.js';
import { loadedEvents, type EventRows, type LoadableJob, type PreparedBatch, type QueuedEvent, type ResolvedEvent } from '../../pipeline/load/load-batch.js';

// What a loaded group sends on to the event destinations: the events inserted now, minus those refused at
// load, plus those a retried job found already in ClickHouse, in load order.

const event = (messageId: string): EnrichedEvent => ({ messageId, type: 'track', event: 'E', context: {}, integrations: {}, timestamp: 1, originalTimestamp: 1, receivedAt: 1, sourceId: 'web' });
const job = (id: string, ...ids: string[]): LoadableJob => ({ id, attemptsStarted: 1, data: { events: ids.map(event), rejected: [] } });
const entryOf = (j: LoadableJob, messageId: string): QueuedEvent => ({ e: j.data.events.find((e) => e.messageId === messageId)!, job: j });
const row = (entry: QueuedEvent, profile: string) => ({ entry, event: { profile_id: profile }, identity: {}, violations: [] }) as unknown as EventRows;
const resolved = (entry: QueuedEvent, profile: string) => ({ entry, resolution: { profileId: profile } }) as unknown as ResolvedEvent;

describe('loadedEvents', () => {
  test('inserted and already loaded events, in job order; refused, duplicate and dropped ones are not sent', () => {
    const a = job('1', 'a1', 'a2', 'a3', 'a2');
    const b = job('2', 'b1', 'b2');
    const refusedEntry = entryOf(a, 'a3');
    const batch: PreparedBatch = {
      jobs: [a, b],
      rows: [row(entryOf(b, 'b2'), 'p-b'), row(entryOf(a, 'a2'), 'p-a'), row(refusedEntry, 'p-a')],
      alreadyLoaded: [resolved(entryOf(a, 'a1'), 'p-a')],
      rejectedRows: [],
      duplicates: 1,
      suppressed: 0,
    };
    // b1 is absent from both: dropped (a deleted customer's, say).
    expect(loadedEvents(batch, new Set([refusedEntry])).map((l) => [l.jobId, l.e.messageId, l.profileId])).toEqual([
      ['1', 'a1', 'p-a'],
      ['1', 'a2', 'p-a'],
      ['2', 'b2', 'p-b'],
    ]);
  });
});
