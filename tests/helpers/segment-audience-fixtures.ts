import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { TestProduct } from './test-product.js';

// Segment runs written straight into ClickHouse, as the membership job writes them: changes first, then the
// segment_runs row that commits them. The audience API and webhooks only read these tables.

export type Change = { profile_id: string; change: 'entered' | 'exited' };

export interface SegmentFixtures {
  clickhouse: ClickHouseClient;
  defineSegment(segmentId: string, opts?: { deleted?: boolean; version?: number }): Promise<void>;
  /** The run's changes without its commit record: a run in flight, or one that died. */
  writeChanges(segmentId: string, seq: number, asOf: number, changes: Change[]): Promise<void>;
  /** The segment_runs row that makes run `seq` visible. */
  commitRun(segmentId: string, seq: number, asOf: number, changes: Change[], size: number): Promise<void>;
  /** Trait values as the loader writes them, at `at` (epoch ms; default now). */
  setTraits(rows: { profile_id: string; trait: string; value: string; at?: number }[]): Promise<void>;
  /** A merge: `oldId` now reads as `survivor`. */
  mergeProfile(oldId: string, survivor: string): Promise<void>;
  close(): Promise<void>;
}

export function segmentFixtures(product: TestProduct): SegmentFixtures {
  // A second chDB connection on the product's data folder (several connections on one path work in one process).
  const clickhouse = createClickHouse(product.config);
  const db = product.config.CLICKHOUSE_DATABASE;
  return {
    clickhouse,
    async defineSegment(segmentId, opts = {}) {
      await clickhouse.insert({
        table: `${db}.segments`,
        format: 'JSONEachRow',
        values: [{ segment_id: segmentId, version: opts.version ?? 1, name: segmentId, description: '', kind: 'sql', definition: `SELECT profile_id FROM ${db}.profiles`, every_minutes: 60, created_at: chTime(Date.now()), created_by: 'test', deleted: opts.deleted ? 1 : 0 }],
      });
    },
    async writeChanges(segmentId, seq, asOf, changes) {
      if (changes.length === 0) return;
      await clickhouse.insert({
        table: `${db}.segment_changes`,
        format: 'JSONEachRow',
        values: changes.map((c) => ({ segment_id: segmentId, seq, version: 1, as_of: chTime(asOf), profile_id: c.profile_id, change: c.change })),
      });
    },
    async commitRun(segmentId, seq, asOf, changes, size) {
      const entered = changes.filter((c) => c.change === 'entered').length;
      await clickhouse.insert({
        table: `${db}.segment_runs`,
        format: 'JSONEachRow',
        values: [{ segment_id: segmentId, seq, version: 1, run_id: `run-${segmentId}-${seq}`, as_of: chTime(asOf), size, entered, exited: changes.length - entered, started_at: chTime(asOf), finished_at: chTime(asOf) }],
      });
    },
    async setTraits(rows) {
      await clickhouse.insert({
        table: `${db}.profile_traits`,
        format: 'JSONEachRow',
        values: rows.map((r, i) => ({ profile_id: r.profile_id, trait: r.trait, value: r.value, timestamp: chTime(r.at ?? Date.now()), message_id: `m-${r.profile_id}-${r.trait}-${i}`, received_at: chTime(Date.now()) })),
      });
    },
    async mergeProfile(oldId, survivor) {
      await clickhouse.insert({
        table: `${db}.profile_overrides`,
        format: 'JSONEachRow',
        values: [{ old_profile_id: oldId, profile_id: survivor, version: 1, merged_at: chTime(Date.now()) }],
      });
    },
    close: () => clickhouse.close(),
  };
}

/** The changes that take `from` to `to`, as the membership job computes them. */
export function diff(from: Set<string>, to: Set<string>): Change[] {
  const out: Change[] = [];
  for (const p of to) if (!from.has(p)) out.push({ profile_id: p, change: 'entered' });
  for (const p of from) if (!to.has(p)) out.push({ profile_id: p, change: 'exited' });
  return out;
}
