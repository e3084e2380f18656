import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Config } from '../../pipeline/core/config.js';
import type { Logger } from '../../pipeline/core/logger.js';
import { QUEUE_NAMES, queuePrefix } from '../../pipeline/redis/key-names.js';
import { WebhookReceiverError } from '../destinations/errors/webhook-receiver-error.js';
import { postOutbound, type OutboundAnswer } from '../destinations/outbound-post.js';
import { signWebhook } from '../destinations/webhook-signature.js';
import type { AlertDeliveryData } from './alert-delivery-queue.js';
import type { AlertStore } from './alert-store.js';
import { boundedWorkerClose } from '../../pipeline/redis/worker-close.js';

export interface AlertDeliveryDeps {
  store: AlertStore;
  timeoutMs: number;
  /** DESTINATIONS_ALLOW_PRIVATE: connections are not checked against private addresses. */
  allowPrivate: boolean;
}

/**
 * Sends one state change: a POST of JSON to the alert's webhook, signed as the audience webhooks are
 * (x-cdp-delivery, x-cdp-timestamp, x-cdp-signature over `<timestamp>.<body>` with the alert's secret), through
 * the destinations' outbound POST (redirects not followed; private addresses refused unless allowed). 2xx:
 * delivered. Anything else throws and BullMQ retries with backoff; after the last attempt the job waits in
 * the failed set (counted by `dead_letters`). A deleted alert's changes finish without a request.
 */
export async function deliverAlert(job: Job<AlertDeliveryData>, deps: AlertDeliveryDeps): Promise<string> {
  const data = job.data;
  const id = job.id!;
  const [alert, secret] = await Promise.all([deps.store.get(data.alert_id), deps.store.secret(data.alert_id)]);
  if (!alert || secret === undefined) return 'skipped: alert deleted';
  const body = JSON.stringify({
    delivery_id: id,
    alert: { id: alert.id, name: alert.name, metric: alert.metric, version: data.version },
    state: data.state,
    previous_state: data.previous_state,
    value: data.value,
    at: new Date(data.at).toISOString(),
    ...data.detail,
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  let res: OutboundAnswer;
  try {
    res = await postOutbound(alert.webhook.url, {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'cdp-alerts',
        'x-cdp-delivery': id,
        'x-cdp-timestamp': timestamp,
        'x-cdp-signature': signWebhook(secret, timestamp, body),
      },
      body,
      timeoutMs: deps.timeoutMs,
      // Checked again at each connection, after its DNS lookup: an address can change after the URL was taken.
      guarded: !deps.allowPrivate,
    });
  } catch (err) {
    throw new WebhookReceiverError(`POST ${alert.webhook.url} failed: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (res.status < 200 || res.status > 299) throw new WebhookReceiverError(`POST ${alert.webhook.url} answered ${res.status}`, res.status);
  return `delivered (${res.status})`;
}

/** The worker sending alert changes (scheduler role), WEBHOOK_CONCURRENCY at once. */
export function startAlertDeliveries(connection: ConnectionOptions, config: Pick<Config, 'QUEUE_PREFIX' | 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_CONCURRENCY' | 'DESTINATIONS_ALLOW_PRIVATE'>, store: AlertStore, log: Logger) {
  const deps = { store, timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowPrivate: config.DESTINATIONS_ALLOW_PRIVATE };
  const worker = new Worker<AlertDeliveryData>(QUEUE_NAMES.alertDeliveries, (job) => deliverAlert(job, deps), {
    connection,
    prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.alertDeliveries),
    concurrency: config.WEBHOOK_CONCURRENCY,
    // The lock must outlive the slowest request, or a live delivery would be taken for a stalled one.
    lockDuration: Math.max(30_000, 3 * config.WEBHOOK_TIMEOUT_MS),
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const last = job.attemptsMade >= (job.opts.attempts ?? 1);
    log[last ? 'error' : 'warn']({ deliveryId: job.id, attemptsMade: job.attemptsMade, err: err.message }, last ? 'alert delivery dead-lettered' : 'alert delivery failed; will retry');
  });
  worker.on('error', (err) => log.error({ err }, 'alert delivery worker error'));
  return { close: boundedWorkerClose(worker, log) };
}
