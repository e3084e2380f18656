import { Queue, type ConnectionOptions } from 'bullmq';
import { eventDestinationQueue, queuePrefix } from '../redis/key-names.js';

/** One event on its way to a destination: what is sent, and what the product keeps beside it. */
export interface OutgoingEvent {
  /** The event's messageId. */
  m: string;
  /** Its profile when loaded (a customer's deletion finds its events by it). */
  p: string;
  /** When the tracking API answered 200 for it (epoch ms): delivery latency is measured from here. */
  r: number;
  /** The event as sent: the Segment-spec object with context.cdp, through the destination's transform. */
  body: unknown;
}

/**
 * One queued job: the events of one load job for one destination (at most its batch_size). A delivery is one
 * or more consecutive jobs; once a delivery is first attempted its id and size are kept on its first job, so a
 * delivery taken up again (after a crash, or replayed from the dead letters) keeps its id and its events.
 */
export interface EventJobData {
  events: OutgoingEvent[];
  delivery_id?: string;
  delivery_jobs?: number;
}

/** How long a load job's fan-out is remembered: longer than its retries run, so a retried load never queues its events twice. */
export const FAN_OUT_DEDUPE_MS = 3 * 24 * 3600 * 1000;

/**
 * The job id of a load job's events for a destination (`chunk`: the part, when they are more than a batch).
 * BullMQ refuses integer and ':' ids.
 */
export function fanOutJobId(loadJobId: string, chunk: number): string {
  return `load-${loadJobId.replace(/:/g, '_')}-${chunk}`;
}

export function createEventQueue(connection: ConnectionOptions, prefix: string, destinationId: string) {
  const name = eventDestinationQueue(destinationId);
  return new Queue<EventJobData>(name, {
    connection,
    prefix: queuePrefix(prefix, name),
    defaultJobOptions: {
      // Retries are the delivery loop's (it holds a batch until it is delivered or dead-lettered, in order).
      attempts: 1,
      // Delivered jobs go: the fan-out's dedupe keys (FAN_OUT_DEDUPE_MS) keep a retried load from queuing them again.
      removeOnComplete: true,
      // Failed jobs are the dead letters: kept until replayed.
      removeOnFail: false,
    },
  });
}

export type EventQueue = ReturnType<typeof createEventQueue>;
