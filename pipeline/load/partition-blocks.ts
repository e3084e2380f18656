import type { EventRow } from './event-row.js';

// Most monthly partitions of `events` one insert block may touch: ClickHouse's own default
// (max_partitions_per_insert_block), above which it refuses the whole insert.
export const MAX_PARTITIONS_PER_BLOCK = 100;

/**
 * Cuts rows into insert blocks that each touch at most `maxPartitions` months of `events` (PARTITION BY
 * toYYYYMM(timestamp)). Deterministic for the same rows in the same order, so a retried insert cuts the same
 * blocks and each keeps its insert_deduplication_token. One block (the same array) in the usual case.
 */
export function partitionBlocks(rows: EventRow[], maxPartitions = MAX_PARTITIONS_PER_BLOCK): EventRow[][] {
  const blockOfMonth = new Map<string, number>();
  const blocks: EventRow[][] = [];
  for (const row of rows) {
    // "YYYY-MM" of the DateTime64 text written by chTime.
    const month = row.timestamp.slice(0, 7);
    let block = blockOfMonth.get(month);
    if (block === undefined) {
      block = Math.floor(blockOfMonth.size / maxPartitions);
      blockOfMonth.set(month, block);
    }
    (blocks[block] ??= []).push(row);
  }
  return blocks.length <= 1 ? [rows] : blocks;
}
