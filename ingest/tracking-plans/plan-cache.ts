import type { Logger } from '../../pipeline/core/logger.js';
import { followAnnouncements } from '../../pipeline/redis/announcements.js';
import type { TrackingPlanKeys } from '../../pipeline/redis/key-names.js';
import { compilePlan, type CompiledPlan } from './compile-plan.js';
import { PRODUCT_SOURCE, type TrackingPlan } from './plan-definition.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';

// The tracking API's view of the plans: the current versions read from Redis, compiled once per version, and
// found per source with one map lookup. A change is announced on a channel and read at once; a periodic
// re-read covers an announcement lost while the subscription was down.

export interface PlanCache {
  /** The plan covering a source, or undefined (none, or the product's own `cdp` source). */
  forSource(sourceId: string): CompiledPlan | undefined;
  /** Reads the current versions from Redis now. */
  refresh(): Promise<void>;
  /** Stops the periodic re-read. */
  close(): void;
}

export interface PlanCacheDeps {
  /** The shared connection, for reads. */
  redis: RedisClient;
  /** A connection of the cache's own (a subscribed connection can do nothing else), closed by its owner. */
  subscriber: RedisClient;
  keys: TrackingPlanKeys;
  log: Logger;
  /** The safety net's period. */
  refreshMs: number;
}

export async function followTrackingPlans(deps: PlanCacheDeps): Promise<PlanCache> {
  const { redis, subscriber, keys, log } = deps;
  let bySource = new Map<string, CompiledPlan>();
  let everySource: CompiledPlan | undefined;
  let compiled = new Map<string, CompiledPlan>();

  async function read(): Promise<void> {
    const published = await redis.hgetall(keys.current);
    const nextCompiled = new Map<string, CompiledPlan>();
    const nextBySource = new Map<string, CompiledPlan>();
    let nextEvery: CompiledPlan | undefined;
    for (const text of Object.values(published)) {
      let plan: TrackingPlan;
      let version: CompiledPlan | undefined;
      try {
        plan = JSON.parse(text) as TrackingPlan;
        const key = `${plan.id}@${plan.version}`;
        version = compiled.get(key) ?? compilePlan(plan);
        nextCompiled.set(key, version);
      } catch (err) {
        // Checked when it was written: only a plan written by another version of the product gets here.
        log.error({ err, plan: text.slice(0, 200) }, 'a published tracking plan could not be compiled; its sources go unchecked');
        continue;
      }
      if (plan.sources.length === 0) nextEvery = version;
      for (const source of plan.sources) nextBySource.set(source, version);
    }
    compiled = nextCompiled;
    bySource = nextBySource;
    everySource = nextEvery;
  }

  // One read at a time; a change announced during a read is read again after it.
  let reading: Promise<void> | undefined;
  let again = false;
  const refresh = (): Promise<void> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      try {
        do {
          again = false;
          await read();
        } while (again);
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  };
  const refreshLogged = () =>
    refresh().catch((err: unknown) => log.warn({ err }, 'tracking plans could not be read from Redis; the last ones read stay in force'));

  await refresh();
  // An announced change, or a reconnect (changes announced meanwhile were missed): read again.
  await followAnnouncements(subscriber, keys.changed, (change) => {
    if (change !== undefined) log.info({ change }, 'tracking plan changed');
    void refreshLogged();
  });
  const timer = setInterval(() => void refreshLogged(), deps.refreshMs);
  timer.unref();

  return {
    forSource: (sourceId) => (sourceId === PRODUCT_SOURCE ? undefined : (bySource.get(sourceId) ?? everySource)),
    refresh,
    close: () => clearInterval(timer),
  };
}
