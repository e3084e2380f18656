import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '../core/metrics.js';

/** Outcomes of an event for a destination, as cdp_destination_events_total counts them. */
export type EventOutcome = 'delivered' | 'filtered' | 'no_consent' | 'transform_failed' | 'disabled' | 'dead_letter' | 'retried';

export interface DestinationMetrics {
  events: Counter<'destination' | 'outcome'>;
  /** From the event's 200 to its delivery. */
  latency: Histogram<'destination'>;
}

/** The destinations' metrics, registered once per process (the fan-out and the delivery share them). */
export function destinationMetrics(metrics: Metrics): DestinationMetrics {
  return {
    events: new Counter({
      name: 'cdp_destination_events_total',
      help: 'Events per event destination by outcome: delivered, filtered (filter or transform dropped it), no_consent, transform_failed, disabled (destination disabled by a 410), dead_letter, retried (in a failed attempt that will be retried)',
      labelNames: ['destination', 'outcome'] as const,
      registers: [metrics.registry],
    }),
    latency: new Histogram({
      name: 'cdp_destination_delivery_latency_seconds',
      help: "From an event's 200 at the tracking API to its delivery's acceptance by the destination",
      labelNames: ['destination'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
      registers: [metrics.registry],
    }),
  };
}
