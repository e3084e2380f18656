/** Machine-readable codes of the alerts' errors. */
export const AlertErrorCodes = {
  NotFound: 'CDP_ALERT_NOT_FOUND',
  EvaluationFailed: 'CDP_ALERT_EVALUATION_FAILED',
} as const;
