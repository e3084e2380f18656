import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process, on a registry of its own (several apps can live in one test process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cdp_process_' });
  const registers = [registry];
  return {
    registry,
    acceptedEvents: new Counter({ name: 'cdp_events_accepted_total', help: 'Events acknowledged by the tracking API (durably queued)', labelNames: ['type'], registers }),
    rejectedEvents: new Counter({ name: 'cdp_events_rejected_total', help: 'Events or requests refused by the tracking API, by reason', labelNames: ['reason'], registers }),
    trackingViolations: new Counter({ name: 'cdp_tracking_violations_total', help: 'Violations of tracking plans found at ingest (in accepted and in refused events), by plan and violation type', labelNames: ['plan', 'violation'], registers }),
    repairedStrings: new Counter({ name: 'cdp_strings_repaired_total', help: 'Strings of accepted events whose lone UTF-16 surrogates were replaced with U+FFFD', registers }),
    rejectedNotStored: new Counter({ name: 'cdp_rejections_not_stored_total', help: 'Rejected events that could not be queued for rejected_events (Redis unavailable)', registers }),
    duplicateEvents: new Counter({ name: 'cdp_events_duplicate_total', help: 'Events dropped by the loader because their messageId was seen within the dedupe window', registers }),
    suppressedEvents: new Counter({ name: 'cdp_events_suppressed_total', help: 'Events dropped by the loader because they carry an identifier of a deleted profile', registers }),
    blockedIdentifiers: new Counter({ name: 'cdp_identifiers_blocked_total', help: 'Identifier values ignored as junk (null, 0, anonymous, ...), by type', labelNames: ['type'], registers }),
    loadedRows: new Counter({ name: 'cdp_rows_loaded_total', help: 'Rows inserted into ClickHouse by the loader', labelNames: ['table'], registers }),
    groupCommitEvents: new Histogram({ name: 'cdp_group_commit_events', help: 'Events per queue write (group commit)', buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000], registers }),
    insertSeconds: new Histogram({ name: 'cdp_insert_duration_seconds', help: 'ClickHouse insert latency', labelNames: ['table'], buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    insertRows: new Histogram({ name: 'cdp_insert_batch_rows', help: 'Rows per ClickHouse insert', labelNames: ['table'], buckets: [1, 10, 100, 1000, 5000, 10000, 25000, 50000, 100000], registers }),
    insertFailures: new Counter({ name: 'cdp_insert_failures_total', help: 'Failed ClickHouse inserts (the jobs are retried)', labelNames: ['table'], registers }),
    loadStepSeconds: new Histogram({ name: 'cdp_load_step_duration_seconds', help: 'Time one load step took for one group of jobs, by step (pipeline/load/steps/)', labelNames: ['step'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    loadStepFailures: new Counter({ name: 'cdp_load_step_failures_total', help: 'Load steps that failed for a whole group of jobs (Redis or ClickHouse unavailable, say), by step; the jobs are retried', labelNames: ['step'], registers }),
    loadLagSeconds: new Histogram({ name: 'cdp_load_lag_seconds', help: 'Time from the API receiving an event to its row being inserted', buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600], registers }),
    jobRuns: new Counter({ name: 'cdp_job_runs_total', help: 'Scheduled SQL job runs by job and outcome', labelNames: ['job', 'status'], registers }),
    jobSeconds: new Histogram({ name: 'cdp_job_duration_seconds', help: 'Scheduled SQL job run time', labelNames: ['job'], buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900], registers }),
    jobLastSuccess: new Gauge({ name: 'cdp_job_last_success_timestamp_seconds', help: 'When each job last succeeded (a stale value means stuck or failing runs)', labelNames: ['job'], registers }),
    privateRedisRestarts: new Counter({ name: 'cdp_private_redis_restarts_total', help: 'Restart attempts of the private redis-server after it died, by result (ok, failed)', labelNames: ['result'], registers }),
    queueJobs: new Gauge({ name: 'cdp_queue_jobs', help: 'Load jobs in the queue by state (each job holds one group commit)', labelNames: ['state'], registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
