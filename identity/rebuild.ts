import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../pipeline/core/config.js';
import { createLoadQueue, type LoadQueue } from '../pipeline/redis/load-queue.js';
import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { redisKeyNames, type IdentityGraphKeys } from '../pipeline/redis/key-names.js';
import { candidateProfileId, createResolver, type Resolver } from './resolver.js';
import { LEGACY_SCHEME, type SuppressionHasher } from './suppression-hash.js';
import { everyMaster, type RedisClient } from '../pipeline/redis/connection.js';

export interface RebuildSummary {
  events: number;
  profiles: number;
  identifiers: number;
  suppressed: number;
}

// Events per resolver call batch (the resolver splits them into Lua calls).
const PAGE = 20_000;

/**
 * Rebuilds the live identity graph in Redis from ClickHouse: clears it, restores the suppressed
 * identifiers, and replays every event's identifiers from identity_edges through the same resolver, in
 * the order they were first resolved (min seq) and in the order each event gave them. Profile ids are
 * derived from the events, so the replay reproduces the same profiles. Loading must be paused meanwhile.
 */
export async function rebuildIdentityGraph(
  clickhouse: ClickHouseClient,
  redis: RedisClient,
  resolver: Resolver,
  hasher: SuppressionHasher,
  database: string,
  graph: IdentityGraphKeys,
): Promise<RebuildSummary> {
  // SCAN walks one node: on a Redis Cluster each master is walked (only the one owning the graph's tag has any).
  for (const node of everyMaster(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', graph.everyKey, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  // Rows not yet converted to the keyed form (the start converts them) are keyed on the way.
  const suppressed = await (await clickhouse.query({ query: `SELECT DISTINCT identifier_hash AS h, scheme FROM ${database}.suppressed_identifiers`, format: 'JSONEachRow' })).json<{ h: string; scheme: string }>();
  const hashes = [...new Set(suppressed.map((s) => (s.scheme === LEGACY_SCHEME ? hasher.fromLegacy(s.h) : s.h)))];
  for (let i = 0; i < hashes.length; i += 1000) await redis.sadd(graph.suppressed, ...hashes.slice(i, i + 1000));

  // Each event once, at its first resolution (a retried load repeats its edges with a later seq), with its
  // identifiers in the order it gave them. One query: the result is held in memory (about 100 bytes per
  // identifier), which bounds the graph size this command can rebuild on one machine.
  const rs = await clickhouse.query({
    query: `SELECT source_id, message_id, min(seq) AS first_seq,
                   arraySort(groupUniqArray((ordinal, identifier_type, identifier))) AS ids
            FROM ${database}.identity_edges
            GROUP BY source_id, message_id
            ORDER BY first_seq`,
    format: 'JSONEachRow',
  });
  const edges = await rs.json<{ source_id: string; message_id: string; first_seq: string | number; ids: [number, string, string][] }>();
  for (let i = 0; i < edges.length; i += PAGE) {
    await resolver.resolve(
      edges.slice(i, i + PAGE).map((e) => ({
        candidate: candidateProfileId(e.source_id, e.message_id),
        identifiers: e.ids.map(([, type, value]) => ({ type, value })),
      })),
    );
  }
  const events = edges.length;
  const maxSeq = events > 0 ? Number(edges[events - 1]!.first_seq) : 0;
  // Later live resolutions must keep counting from where the original ones were.
  if (Number(await redis.get(graph.seq)) < maxSeq) await redis.set(graph.seq, maxSeq);

  const profiles = await redis.hlen(graph.created);
  const identifiers = await redis.hlen(graph.index);
  return { events, profiles, identifiers, suppressed: hashes.length };
}

/** The rebuild with loading paused (BullMQ's global pause), so no worker resolves events meanwhile. */
export async function rebuildWithLoadingPaused(queue: LoadQueue, rebuild: () => Promise<RebuildSummary>): Promise<RebuildSummary> {
  await queue.pause();
  try {
    // Jobs already taken finish their load; new ones wait.
    while ((await queue.getActiveCount()) > 0) await sleep(100);
    return await rebuild();
  } finally {
    await queue.resume();
  }
}

/** The identity rebuild of this process: replays identity_edges into Redis with loading paused. */
export function identityRebuilder(config: Config, clickhouse: ClickHouseClient, redis: RedisClient, queue: LoadQueue | undefined, hasher: SuppressionHasher) {
  return async () => {
    const own = queue ?? createLoadQueue(redis, config);
    const graph = redisKeyNames(config.QUEUE_PREFIX).identity;
    try {
      return await rebuildWithLoadingPaused(own, () =>
        rebuildIdentityGraph(clickhouse, redis, createResolver(redis, graph, config.IDENTITY_LIMITS, hasher), hasher, config.CLICKHOUSE_DATABASE, graph),
      );
    } finally {
      if (own !== queue) await own.close();
    }
  };
}
