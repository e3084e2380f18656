import { identityRules } from '../../../identity/identity-rules.js';
import { createResolver } from '../../../identity/resolver.js';
import type { SuppressionHasher } from '../../../identity/suppression-hash.js';
import { startLoadWorker } from '../../load/load-worker.js';
import type { LoadedEvent } from '../../load/load-batch.js';
import { createLoader } from '../../load/loader.js';
import { createMessageDedupe } from '../../load/message-dedupe.js';
import { ownClickHouse, ownRedis, type Base } from './base.js';

/**
 * The `workers` role: load jobs from the queue, through dedupe and identity resolution, into ClickHouse, then
 * out to the event destinations (`fanOut`).
 */
export async function startLoadWorkers(base: Base, deps: { hasher: SuppressionHasher; fanOut?: (events: LoadedEvent[]) => Promise<void> }): Promise<void> {
  const { config, metrics } = base;
  const log = base.log.child({ role: 'workers' });
  const clickhouse = await ownClickHouse(base);
  // A group's identity rows go in on this one while the previous group's events go in on the other.
  const linkedClickhouse = await ownClickHouse(base);
  const workerRedis = ownRedis(base, 'worker');
  const loader = createLoader({
    clickhouse,
    linkedClickhouse,
    database: config.CLICKHOUSE_DATABASE,
    dedupe: createMessageDedupe(workerRedis, base.redisKeys.dedupeClaim, config.DEDUPE_WINDOW_SECONDS),
    resolver: createResolver(workerRedis, base.redisKeys.identity, config.IDENTITY_LIMITS, deps.hasher),
    identityRules: identityRules(config),
    metrics,
    log,
    maxRows: config.LOAD_BATCH_MAX_ROWS,
    maxWaitMs: config.LOAD_BATCH_MAX_WAIT_MS,
    maxJobs: config.WORKER_CONCURRENCY,
    failpoints: config.failpoints,
    fanOut: deps.fanOut,
  });
  const worker = startLoadWorker(workerRedis, config, loader, log);
  // No new jobs, and the batch held is inserted and its jobs completed. With Redis gone the worker does not
  // wait for them: their locks run out and the next start takes them up again.
  base.onClose(async (redisGone) => {
    const closing = worker.close(redisGone);
    await loader.drain();
    await closing;
  });
}
