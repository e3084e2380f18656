// The customer model's words (lifecycle stages, value tiers, what each means) and the JSON its read
// endpoints answer (type aliases, not interfaces, for the answers: the routes' reply schemas are loose
// objects, which an interface does not fit). The dashboard's browser code imports this file too, so it
// holds only types and constants, and imports only the words (../customer-states.ts).

import type { LifecycleStage, ValueTier } from '../customer-states.js';

/** Quintiles of the value-tier grid: 5 holds the top fifth of the ranks, 1 the bottom fifth. */
export const QUINTILES = [1, 2, 3, 4, 5] as const;

export interface StageCount {
  stage: LifecycleStage;
  meaning: string;
  profiles: number;
}

/** `GET /v1/lifecycle`: the snapshot standing at the date asked (as_of is null before the first one). */
export type LifecycleReport = {
  success: true;
  as_of: string | null;
  first_as_of: string | null;
  stages: StageCount[];
};

export interface TransitionCell {
  /** '' for profiles the `from` snapshot does not hold (new since). */
  from_stage: LifecycleStage | '';
  /** '' for profiles the `to` snapshot no longer holds (merged into another, or deleted). */
  to_stage: LifecycleStage | '';
  profiles: number;
}

/** `GET /v1/lifecycle/transitions`: every (from_stage, to_stage) pair between two snapshots. */
export type TransitionsReport = {
  success: true;
  from_as_of: string;
  to_as_of: string;
  transitions: TransitionCell[];
  /** Profiles that went from lost or at_risk back to active or new in a snapshot after `from` up to `to`. */
  reactivated: number;
};

export interface TierFigures {
  tier: ValueTier;
  meaning: string;
  profiles: number;
  /** The sum of their historical value (net revenue of all orders up to as_of). */
  revenue: number;
  /** The mean of their predicted value (CLV); null for an empty tier. */
  mean_predicted_value: number | null;
}

export interface TierGridCell {
  historical_quintile: number;
  predicted_quintile: number;
  profiles: number;
  revenue: number;
  /** Profiles of the cell in each tier. */
  tiers: Record<ValueTier, number>;
}

/** `GET /v1/value-tiers`: figures per tier, and the historical × predicted quintile grid (25 cells). */
export type ValueTierReport = {
  success: true;
  as_of: string | null;
  tiers: TierFigures[];
  grid: TierGridCell[];
};
