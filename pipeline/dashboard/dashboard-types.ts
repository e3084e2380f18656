// The JSON the dashboard endpoints answer with. The browser code imports this file too, so it holds only
// types and constants, and imports nothing.

/** Times are epoch milliseconds (UTC) so the browser formats them in the viewer's time zone. */
export type EpochMs = number;

export interface RejectedSeries {
  reason: string;
  /** One count per minute, aligned with `PipelineHealth.minutes`. */
  counts: number[];
  total: number;
}

export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface LoadLag {
  /** Events received in the lag window (the last `window_minutes`). */
  events: number;
  window_minutes: number;
  p50_ms: number | null;
  p95_ms: number | null;
  max_ms: number | null;
}

export interface JobRunRow {
  run_id: string;
  job: string;
  status: string;
  as_of: EpochMs;
  started_at: EpochMs;
  finished_at: EpochMs | null;
  duration_ms: number | null;
  rows: number;
  error: string;
}

export interface PipelineHealth {
  hours: number;
  /** Start of each minute of the window, oldest first; the last one is the current (partial) minute. */
  minutes: EpochMs[];
  accepted: number[];
  accepted_total: number;
  rejected: RejectedSeries[];
  /** Load jobs by state as this process last sampled them; null when it does not run the api role. */
  queue: QueueDepth | null;
  load_lag: LoadLag;
  jobs: JobRunRow[];
}

export interface RfmCell {
  r: number;
  f: number;
  customers: number;
  revenue: number;
  segment: string;
}

export interface RfmGrid {
  /** Null before the first successful rfm run. */
  as_of: EpochMs | null;
  customers: number;
  cells: RfmCell[];
}

export interface ChurnDistribution {
  as_of: EpochMs | null;
  customers: number;
  /** Customers per P(alive) bin: bin i holds [i / bins, (i + 1) / bins), the last one includes 1. */
  bins: number[];
  churn_flagged: number;
  clv_total: number;
}

/** The products recommended to the most customers in the latest recommendations snapshot. */
export interface TopRecommended {
  /** Null before the recommendations job first ran. */
  as_of: EpochMs | null;
  /** Customers the snapshot holds. */
  customers: number;
  products: { product_id: string; customers: number; first: number; personal: number }[];
}

/** The latest loyalty snapshot: members per level and their change since the snapshot before, points per month. */
export interface LoyaltyOverview {
  /** Null before the loyalty job first ran. */
  as_of: EpochMs | null;
  /** The snapshot the change is counted from; null when there is only one. */
  previous_as_of: EpochMs | null;
  members: number;
  /** Levels held by someone in either snapshot; change null without a previous snapshot. */
  levels: { level: string; members: number; change: number | null }[];
  /** Local months (YYYY-MM), oldest first: points issued (earn, bonus, positive adjustments), redeemed, expired. */
  months: { month: string; issued: number; redeemed: number; expired: number }[];
}

export interface CustomersOverview {
  profiles: number;
  rfm: RfmGrid;
  churn: ChurnDistribution;
  recommendations: TopRecommended;
  loyalty: LoyaltyOverview;
}

export interface SegmentSeries {
  segment_id: string;
  name: string;
  points: { as_of: EpochMs; size: number }[];
}

export interface SegmentSizes {
  days: number;
  segments: SegmentSeries[];
}

export const SEARCH_TYPES = ['auto', 'profile_id', 'email', 'user_id', 'anonymous_id', 'phone'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

export interface CustomerEvent {
  message_id: string;
  type: string;
  event: string;
  name: string;
  timestamp: EpochMs;
  order_id: string;
  revenue: number | null;
  currency: string;
  properties: Record<string, unknown>;
}

export interface CustomerView {
  profile_id: string;
  /** How the search found the profile. */
  matched: { type: Exclude<SearchType, 'auto'>; value: string };
  /** Set when the id searched for was merged into `profile_id`. */
  requested_profile_id?: string;
  identifiers: { type: string; value: string }[];
  traits: { trait: string; value: string; updated_at: EpochMs }[];
  merges: Record<string, unknown>[];
  segments: { segment_id: string; name: string; since: EpochMs }[];
  rfm: { r: number; f: number; m: number; segment: string; recency_days: number; frequency: number; monetary: number } | null;
  churn: { p_alive: number; churn_flag: number; rule_flag: number; expected_90d: number; clv: number } | null;
  /** Every computed trait defined, by name; the value typed as the profile API answers it. */
  computed_traits: { trait_id: string; name: string; kind: string; value: number | string | string[] | null; as_of: EpochMs | null }[];
  /** The stage in the latest lifecycle snapshot, with its meaning (潜在 / 新 / 成熟 / 衰退 / 流失). */
  lifecycle: { stage: string; meaning: string; since: EpochMs; as_of: EpochMs } | null;
  /** The tier in the latest value-tier snapshot, with its meaning (高价值 / 潜力 / 一般 / 低价值); null for prospects. */
  value_tier: { tier: string; meaning: string; historical_value: number; predicted_value: number; as_of: EpochMs } | null;
  /** The customer's list in the latest recommendations snapshot, rank 1 first; [] when it does not hold them. */
  recommendations: { rank: number; product_id: string; score: number; reason: string }[];
  /** The standing in the latest loyalty snapshot and its latest ledger entries; null when it does not hold the customer. */
  loyalty: {
    level: string;
    points: number;
    expiring_30d: number;
    as_of: EpochMs;
    entries: { kind: string; points: number; status: string; occurred_at: EpochMs }[];
  } | null;
  events: CustomerEvent[];
}

export interface DashboardError {
  success: false;
  code: string;
  message: string;
}

export interface ViolationSeries {
  plan_id: string;
  violation: string;
  /** One count per bucket, aligned with `DataQuality.buckets`. */
  counts: number[];
  total: number;
}

/** A recorded event's payload shown as an example: its `properties` (`traits` for identify and group). */
export interface ExamplePayload {
  message_id: string;
  /** Null when the event is no longer in `events` (its customer was deleted). */
  payload: Record<string, unknown> | null;
}

export interface OffendingEvent {
  plan_id: string;
  type: string;
  event: string;
  violations: number;
  /** Events with at least one violation. */
  events: number;
  example: ExamplePayload;
}

export interface OffendingPath {
  plan_id: string;
  type: string;
  event: string;
  violation: string;
  path: string;
  violations: number;
  /** The schema's message for the example. */
  message: string;
  example: ExamplePayload;
}

export interface DataQuality {
  days: number;
  /** Hours for a window of up to two days, days beyond. */
  bucket_ms: number;
  /** Start of each bucket, oldest first; the last one is the current (partial) bucket. */
  buckets: EpochMs[];
  /** Violations recorded in accepted events (tracking_violations), by plan and violation type. */
  series: ViolationSeries[];
  total: number;
  /** Events a plan refused (rejected_events, reason `tracking_plan`). */
  blocked: number;
  top_events: OffendingEvent[];
  top_paths: OffendingPath[];
}

/** One event destination on the dashboard's Destinations panel. */
export interface DestinationHealth {
  id: string;
  name: string;
  format: string;
  /** `disabled`: a 410 Gone stopped it; `failing`: its current delivery is being retried; `paused`; else `ok`. */
  state: 'ok' | 'failing' | 'paused' | 'disabled';
  /** Events delivered in the last 24 hours (destination_deliveries). */
  delivered_24h: number;
  /** Jobs (each up to a batch of events) waiting or being delivered. */
  backlog: number;
  /** Dead-lettered deliveries waiting for a replay. */
  dead_letters: number;
  failing_since: EpochMs | null;
  last_error: string | null;
  last_error_at: EpochMs | null;
  last_delivered_at: EpochMs | null;
}

export interface DestinationsHealth {
  destinations: DestinationHealth[];
}
