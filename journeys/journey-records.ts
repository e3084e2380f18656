import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { chTime } from '../pipeline/clickhouse/ch-time.js';

export type JourneyEventKind = 'entered' | 'step' | 'sent' | 'suppressed' | 'failed' | 'goal' | 'exited';

/** One row of journey_events. */
export interface JourneyEvent {
  journey_id: string;
  version: number;
  profile_id: string;
  instance_id: string;
  step: string;
  visit: number;
  kind: JourneyEventKind;
  at: number;
  detail?: Record<string, unknown>;
}

export interface JourneyRecords {
  /** Resolves once the rows are in ClickHouse: a step moves on only after it is recorded. */
  record(...events: JourneyEvent[]): Promise<void>;
  close(): Promise<void>;
}

const FLUSH_MS = 50;
const MAX_ROWS = 2000;

/** The key of a happening within its instance: a step retried records it again under the same key. */
export function eventId(e: Pick<JourneyEvent, 'step' | 'visit' | 'kind'>): string {
  return `${e.step}.${e.visit}.${e.kind}`;
}

/**
 * journey_events written in group commits: the rows of every step running within FLUSH_MS go in one insert,
 * and each step's promise settles with it (a failed insert fails the steps, which BullMQ retries).
 */
export function journeyRecords(clickhouse: ClickHouseClient, database: string): JourneyRecords {
  let held: { rows: JourneyEvent[]; done: () => void; failed: (err: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const flush = () => {
    timer = undefined;
    const group = held;
    held = [];
    if (group.length === 0) return writing;
    writing = writing.then(async () => {
      try {
        await clickhouse.insert({
          table: `${database}.journey_events`,
          values: group.flatMap((g) => g.rows).map((e) => ({ ...e, event_id: eventId(e), at: chTime(e.at), detail: JSON.stringify(e.detail ?? {}) })),
          format: 'JSONEachRow',
        });
        for (const g of group) g.done();
      } catch (err) {
        for (const g of group) g.failed(err);
      }
    });
    return writing;
  };

  return {
    record(...rows) {
      return new Promise<void>((done, failed) => {
        held.push({ rows, done, failed });
        if (held.reduce((n, g) => n + g.rows.length, 0) >= MAX_ROWS) void flush();
        else timer ??= setTimeout(() => void flush(), FLUSH_MS);
      });
    },
    async close() {
      if (timer) clearTimeout(timer);
      await flush();
    },
  };
}
