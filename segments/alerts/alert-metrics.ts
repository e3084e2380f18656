import { arrivalsInMinute } from './metrics/arrivals.js';
import { complaintsOpenOver } from './metrics/complaints-open-over.js';
import { loadLagP95Seconds } from './metrics/load-lag.js';
import type { MetricContext } from './metrics/metric-context.js';
import { npsDay } from './metrics/nps-day.js';
import { ordersInHour } from './metrics/orders-in-hour.js';
import { deadLetters, queueWaiting } from './metrics/queue-backlog.js';

// The metrics an alert may watch, in one list. Each is read for the minute ending at an instant `at`.

export interface AlertMetric {
  kind: 'pipeline' | 'business';
  /**
   * Whether its value for a past minute can be computed again from the events (business metrics): the
   * history a threshold's for_minutes or an anomaly's baseline needs is then filled in where no evaluation
   * recorded it. A pipeline metric's past is only what the evaluations recorded.
   */
  recomputable: boolean;
  /** The value, or null when there is none (no NPS answer today, no row loaded): the alert stays as it is. */
  measure(ctx: MetricContext, at: number): Promise<number | null>;
}

const METRICS: Record<string, AlertMetric> = {
  events_per_minute: { kind: 'pipeline', recomputable: false, measure: (ctx, at) => arrivalsInMinute(ctx, 'events', at) },
  rejected_per_minute: { kind: 'pipeline', recomputable: false, measure: (ctx, at) => arrivalsInMinute(ctx, 'rejected_events', at) },
  load_lag_p95_seconds: { kind: 'pipeline', recomputable: false, measure: loadLagP95Seconds },
  queue_waiting: { kind: 'pipeline', recomputable: false, measure: (ctx) => queueWaiting(ctx) },
  dead_letters: { kind: 'pipeline', recomputable: false, measure: (ctx) => deadLetters(ctx) },
  orders_per_hour: { kind: 'business', recomputable: true, measure: async (ctx, at) => (await ordersInHour(ctx, at)).orders },
  revenue_per_hour: { kind: 'business', recomputable: true, measure: async (ctx, at) => (await ordersInHour(ctx, at)).revenue },
  nps_day: { kind: 'business', recomputable: true, measure: npsDay },
};

const COMPLAINTS = /^complaints_open_over_hours:([1-9]\d{0,3})$/;

/** The names as the API documents them. */
export const METRIC_NAMES = [...Object.keys(METRICS), 'complaints_open_over_hours:<N>'] as const;

/** The metric a name stands for, or undefined for a name that is none (N of complaints_open_over_hours: 1 to 9999). */
export function alertMetric(name: string): AlertMetric | undefined {
  if (Object.hasOwn(METRICS, name)) return METRICS[name];
  const complaints = COMPLAINTS.exec(name);
  if (!complaints) return undefined;
  const hours = Number(complaints[1]);
  return { kind: 'business', recomputable: true, measure: (ctx, at) => complaintsOpenOver(ctx, hours, at) };
}
