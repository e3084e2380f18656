import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chMs } from '../../pipeline/clickhouse/ch-time.js';
import type { Logger } from '../../pipeline/core/logger.js';
import type { Alert } from './alert-definition.js';
import { alertDeliveryId, type AlertDeliveryData, type AlertDeliveryQueue } from './alert-delivery-queue.js';
import { recordAlertEvent } from './alert-events.js';
import { alertMetric } from './alert-metrics.js';
import type { AlertStates, Verdict } from './alert-states.js';
import type { AlertStateName } from './alert-types.js';
import type { AlertStore } from './alert-store.js';
import { TRAILING_MIN_POINTS, judgeAnomaly, trailingMinutes, weeklyMinutes } from './anomaly.js';
import type { MetricHistory } from './metric-history.js';
import { AlertEvaluationError } from './errors/alert-evaluation-error.js';
import type { MetricContext } from './metrics/metric-context.js';
import { meets } from './threshold.js';

const MINUTE = 60_000;

export interface EvaluatorDeps {
  store: AlertStore;
  states: AlertStates;
  history: MetricHistory;
  metrics: MetricContext;
  deliveries: AlertDeliveryQueue;
  clickhouse: ClickHouseClient;
  database: string;
  log: Logger;
}

/** One alert's outcome of a minute's evaluation. */
export interface AlertOutcome {
  id: string;
  value: number | null;
  state: AlertStateName;
  /** The state changed in this minute (a change sent to the webhook and recorded in alert_events). */
  changed: boolean;
  /** The condition and, for an anomaly, its baseline (kind weekly, trailing or none, points, median, mad). */
  detail: Record<string, unknown>;
}

export interface AlertEvaluator {
  /**
   * Evaluates every alert for the minute ending at `at` (rounded down to a minute): each metric is read once
   * and recorded in the history, each alert's verdict applied to its state once per minute, and each change
   * recorded and queued for delivery. A minute evaluated again (a retry, a second scheduler) changes nothing
   * but finishes what a failed attempt left undone: the change's row and its delivery, both idempotent.
   */
  evaluate(at: number): Promise<AlertOutcome[]>;
}

export function createAlertEvaluator(deps: EvaluatorDeps): AlertEvaluator {
  const { history, metrics } = deps;

  async function firstEventAt(): Promise<number | null> {
    const rs = await deps.clickhouse.query({ query: `SELECT count() AS n, min(timestamp) AS first FROM ${deps.database}.events`, format: 'JSONEachRow' });
    const [row] = await rs.json<{ n: string; first: string }>();
    return Number(row?.n ?? 0) === 0 ? null : chMs(row!.first);
  }

  return {
    async evaluate(at) {
      const minute = Math.floor(at / MINUTE) * MINUTE;
      const alerts = await deps.store.list();
      // Per evaluation: the history read (and filled in) once per metric and minute, the events' first instant once.
      const known = new Map<string, Promise<number | null | undefined>>();
      let dataStart: Promise<number | null> | undefined;

      /** The metric's value in a minute: recorded, else (recomputable metrics, minutes the events cover) computed and recorded. */
      const valueAt = (name: string, m: number): Promise<number | null | undefined> => {
        const key = `${name}\n${m}`;
        let value = known.get(key);
        if (!value) {
          value = (async () => {
            const [recorded] = await history.read(name, [m]);
            if (recorded !== undefined) return recorded;
            const metric = alertMetric(name)!;
            if (m !== minute) {
              if (!metric.recomputable) return undefined;
              const start = await (dataStart ??= firstEventAt());
              if (start === null || m - MINUTE < start) return undefined;
            }
            return history.record(name, m, await metric.measure(metrics, m));
          })();
          known.set(key, value);
        }
        return value;
      };
      const numbersAt = async (name: string, minutes: number[]) => Promise.all(minutes.map((m) => valueAt(name, m)));

      async function verdictOf(alert: Alert, value: number | null): Promise<{ verdict: Verdict; detail: Record<string, unknown> }> {
        if (alert.threshold) {
          const t = alert.threshold;
          const detail = { condition: { threshold: t } };
          if (value === null) return { verdict: { fires: false, holds: null }, detail };
          const holds = meets(value, t);
          const earlier = Array.from({ length: t.for_minutes - 1 }, (_, i) => minute - (i + 1) * MINUTE);
          const held = holds && (await numbersAt(alert.metric, earlier)).every((v) => typeof v === 'number' && meets(v, t));
          return { verdict: { fires: held, holds }, detail };
        }
        const rule = alert.anomaly!;
        if (value === null) return { verdict: { fires: false, holds: null }, detail: { condition: { anomaly: rule } } };
        const weekly = await numbersAt(alert.metric, weeklyMinutes(minute, metrics.timeZone));
        let kind: 'weekly' | 'trailing' = 'weekly';
        let baseline = weekly.filter((v): v is number => typeof v === 'number');
        if (baseline.length < weekly.length) {
          kind = 'trailing';
          baseline = (await numbersAt(alert.metric, trailingMinutes(minute))).filter((v): v is number => typeof v === 'number');
          if (baseline.length < TRAILING_MIN_POINTS) return { verdict: { fires: false, holds: null }, detail: { condition: { anomaly: rule }, baseline: { kind: 'none', points: baseline.length } } };
        }
        const j = judgeAnomaly(value, baseline, rule);
        return { verdict: { fires: j.anomalous, holds: j.anomalous }, detail: { condition: { anomaly: rule }, baseline: { kind, points: baseline.length, median: j.median, mad: j.mad } } };
      }

      async function evaluateAlert(alert: Alert): Promise<AlertOutcome> {
        const value = (await valueAt(alert.metric, minute)) ?? null;
        const { verdict, detail } = await verdictOf(alert, value);
        const t = await deps.states.apply(alert.id, minute, alert.version, value, verdict);
        const changed = t.changeAt === minute;
        if (changed) {
          const change: AlertDeliveryData = { alert_id: alert.id, version: alert.version, state: t.state, previous_state: t.previous ?? 'ok', value, at: minute, detail };
          const id = alertDeliveryId(alert.id, minute);
          await recordAlertEvent(deps.clickhouse, deps.database, id, change);
          // An existing job id is left as it is: a change is delivered once, however often it is queued.
          await deps.deliveries.add('deliver', change, { jobId: id });
          deps.log.info({ alertId: alert.id, state: t.state, value, at: new Date(minute).toISOString(), deliveryId: id }, 'alert state changed');
        }
        return { id: alert.id, value, state: t.state, changed, detail };
      }

      const outcomes: AlertOutcome[] = [];
      const failed: { id: string; err: unknown }[] = [];
      // One alert's failure (its metric's query, say) does not hold up the others; the minute is retried for it.
      for (const alert of alerts) {
        try {
          outcomes.push(await evaluateAlert(alert));
        } catch (err) {
          deps.log.warn({ alertId: alert.id, err: (err as Error).message }, 'alert evaluation failed');
          failed.push({ id: alert.id, err });
        }
      }
      if (failed.length > 0) throw new AlertEvaluationError(failed.map((f) => f.id), minute, { cause: failed[0]!.err });
      return outcomes;
    },
  };
}
