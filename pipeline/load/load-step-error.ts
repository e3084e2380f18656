/**
 * A load step failed for the whole group of jobs, not because of one event (those are refused, and the rest
 * loads): Redis or ClickHouse unavailable, say. The jobs fail and are retried; the message names the step.
 */
export class LoadStepError extends Error {
  constructor(readonly step: string, cause: unknown) {
    super(`load step ${step} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'LoadStepError';
  }
}
