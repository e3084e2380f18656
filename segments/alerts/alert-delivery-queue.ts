import { Queue, type ConnectionOptions } from 'bullmq';
import { QUEUE_NAMES, queuePrefix } from '../../pipeline/redis/key-names.js';
import { webhookJobOptions, type WebhookQueueConfig } from '../destinations/webhook-queue.js';
import type { AlertStateName } from './alert-types.js';

/** One state change of an alert, to send to its webhook. The secret is not in it: it is read when sending. */
export interface AlertDeliveryData {
  alert_id: string;
  version: number;
  state: AlertStateName;
  previous_state: AlertStateName;
  value: number | null;
  /** The end of the minute evaluated (epoch ms). */
  at: number;
  /** The condition and, for an anomaly, its baseline: as alert_events.detail holds it. */
  detail: Record<string, unknown>;
}

/**
 * The delivery id, also the BullMQ job id: an alert changes at most once per minute evaluated, so
 * `<alert>.<minute's end in epoch ms>` names a change however often its evaluation is retried (BullMQ
 * refuses ':' in ids; alert ids hold none).
 */
export function alertDeliveryId(alertId: string, at: number): string {
  return `${alertId}.${at}`;
}

/** Retried and kept as the audience webhooks' deliveries are (WEBHOOK_ATTEMPTS, WEBHOOK_BACKOFF_MS; failed ones are the dead letters). */
export function createAlertDeliveryQueue(connection: ConnectionOptions, config: WebhookQueueConfig) {
  return new Queue<AlertDeliveryData>(QUEUE_NAMES.alertDeliveries, { connection, prefix: queuePrefix(config.QUEUE_PREFIX, QUEUE_NAMES.alertDeliveries), defaultJobOptions: webhookJobOptions(config) });
}

export type AlertDeliveryQueue = ReturnType<typeof createAlertDeliveryQueue>;

export const DELIVERY_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'unknown'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * Where each delivery stands: waiting, active or delayed (being retried), completed, failed (dead-lettered,
 * replayable), or unknown (a completed delivery is forgotten after a day).
 */
export async function deliveryStates(queue: AlertDeliveryQueue, ids: string[]): Promise<Map<string, DeliveryState>> {
  const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
  return new Map(ids.map((id, i) => {
    const state = states[i]!;
    return [id, (DELIVERY_STATES as readonly string[]).includes(state) ? (state as DeliveryState) : state === 'waiting-children' || state === 'prioritized' ? 'waiting' : 'unknown'];
  }));
}
