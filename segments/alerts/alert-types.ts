// The alerts' words and shapes, free of server code: the dashboard's browser code reads them too.

export const THRESHOLD_OPS = ['gt', 'gte', 'lt', 'lte'] as const;
export type ThresholdOp = (typeof THRESHOLD_OPS)[number];

export const ALERT_STATES = ['ok', 'firing', 'resolved'] as const;
export type AlertStateName = (typeof ALERT_STATES)[number];

/** An alert's live state, as GET /v1/alerts shows it. */
export interface AlertState {
  state: AlertStateName;
  /** When it entered this state (the end of the minute evaluated); null while it never changed. */
  since: string | null;
  /** The value in the last minute evaluated (null: none). */
  value: number | null;
  /** The last minute evaluated (its end); null before the first evaluation. */
  evaluated_at: string | null;
}

/** An alert as GET /v1/alerts lists it. */
export interface AlertView {
  id: string;
  version: number;
  name: string;
  metric: string;
  threshold?: { op: ThresholdOp; value: number; for_minutes: number };
  anomaly?: { sensitivity: number; min_change: number };
  webhook: { url: string };
  created_at: string;
  created_by: string;
  state: AlertState;
}
