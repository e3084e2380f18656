import type { Job } from 'bullmq';
import type { Counter } from 'prom-client';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { Logger } from '../../pipeline/core/logger.js';
import { committedRunsSql } from '../membership/committed-run.js';
import type { DestinationStore } from './destination-store.js';
import { DestinationGoneError } from './errors/destination-gone-error.js';
import { RunNotCommittedError } from './errors/run-not-committed-error.js';
import { WebhookReceiverError } from './errors/webhook-receiver-error.js';
import type { WebhookJobData } from './webhook-queue.js';
import { postOutbound, type OutboundAnswer } from './outbound-post.js';
import { signWebhook } from './webhook-signature.js';

export interface DeliveryDeps {
  clickhouse: ClickHouseClient;
  database: string;
  destinations: DestinationStore;
  timeoutMs: number;
  /** DESTINATIONS_ALLOW_PRIVATE: connections of guarded destinations are not checked. */
  allowPrivate: boolean;
  outcomes: Counter<'outcome'>;
  log: Logger;
}

export interface WebhookBody {
  delivery_id: string;
  segment_id: string;
  seq: number;
  as_of: string;
  changes: { profile_id: string; change: 'entered' | 'exited' }[];
}

async function readBatch(deps: DeliveryDeps, data: WebhookJobData): Promise<WebhookBody['changes']> {
  const params = { segment: data.segment_id, seq: data.seq, limit: data.batch_size, offset: data.batch * data.batch_size };
  const db = deps.database;
  const [run] = await (await deps.clickhouse.query({
    query: `SELECT count() AS n FROM (${committedRunsSql(db, '{segment:String}', 'seq = {seq:UInt64}')})`,
    query_params: params,
    format: 'JSONEachRow',
  })).json<{ n: string }>();
  if (Number(run!.n) === 0) throw new RunNotCommittedError(data.segment_id, data.seq);
  // A committed run's changes only ever lose rows (a customer's erasure): a batch is fixed by its bounds.
  const bounded = data.after !== undefined;
  return (await deps.clickhouse.query({
    query: `SELECT profile_id, change FROM ${db}.segment_changes
            WHERE segment_id = {segment:String} AND seq = {seq:UInt64}
              ${bounded ? `AND profile_id > {after:String}${data.upto === undefined ? '' : ' AND profile_id <= {upto:String}'}` : ''}
            ORDER BY profile_id LIMIT {limit:UInt32}${bounded ? '' : ' OFFSET {offset:UInt64}'}`,
    query_params: { ...params, after: data.after, upto: data.upto },
    format: 'JSONEachRow',
  })).json<{ profile_id: string; change: 'entered' | 'exited' }>();
}

/**
 * Delivers one job: a signed POST of the batch to the destination (redirects are not followed). 2xx: delivered. 410: the destination is
 * disabled and the job fails for good. Anything else (other status, timeout, connection error) throws, and
 * BullMQ retries with backoff; after the last attempt the job waits in the failed set for a replay.
 * Jobs of a deleted or disabled destination finish without a request.
 */
export async function deliverWebhook(job: Job<WebhookJobData>, deps: DeliveryDeps): Promise<string> {
  const data = job.data;
  const id = job.id!;
  const destination = await deps.destinations.get(data.destination_id);
  if (!destination || destination.disabled_at !== null) {
    deps.outcomes.inc({ outcome: 'skipped' });
    return destination ? 'skipped: destination disabled' : 'skipped: destination deleted';
  }
  const changes = await readBatch(deps, data);
  const body = JSON.stringify({ delivery_id: id, segment_id: data.segment_id, seq: data.seq, as_of: new Date(data.as_of).toISOString(), changes } satisfies WebhookBody);
  const timestamp = String(Math.floor(Date.now() / 1000));
  let res: OutboundAnswer;
  try {
    res = await postOutbound(destination.url, {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'cdp-webhooks',
        'x-cdp-delivery': id,
        'x-cdp-timestamp': timestamp,
        'x-cdp-signature': signWebhook(destination.secret, timestamp, body),
      },
      body,
      timeoutMs: deps.timeoutMs,
      // Destinations stored before URLs were checked keep working as they were.
      guarded: destination.guarded && !deps.allowPrivate,
    });
  } catch (err) {
    throw new WebhookReceiverError(`POST ${destination.url} failed: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (res.status === 410) {
    await deps.destinations.disable(destination.id, `delivery ${id} answered 410 Gone`);
    deps.outcomes.inc({ outcome: 'gone' });
    deps.log.warn({ destinationId: destination.id, deliveryId: id }, 'webhook receiver answered 410 Gone; destination disabled');
    throw new DestinationGoneError(destination.id);
  }
  if (res.status < 200 || res.status > 299) throw new WebhookReceiverError(`POST ${destination.url} answered ${res.status}`, res.status);
  deps.outcomes.inc({ outcome: 'delivered' });
  return `delivered ${changes.length} changes (${res.status})`;
}
