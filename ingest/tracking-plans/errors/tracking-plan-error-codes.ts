/** Machine-readable codes of the tracking plans' errors (ingest/tracking-plans/), as the routes answer them. */
export const TrackingPlanErrorCodes = {
  Invalid: 'invalid_tracking_plan',
  NotFound: 'tracking_plan_not_found',
  SourceHasPlan: 'source_has_plan',
} as const;
