import { SegmentErrorCodes } from './error-codes.js';

export interface SegmentProblem {
  /** Where in the definition, e.g. "conditions.conditions.1.value" or "sql". */
  path: string;
  message: string;
}

/** A segment definition (or analyst SQL) that cannot be saved or previewed; `problems` says each thing wrong. */
export class InvalidSegmentError extends Error {
  readonly code = SegmentErrorCodes.Invalid;
  constructor(readonly problems: SegmentProblem[]) {
    super(`invalid segment: ${problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ')}`);
    this.name = 'InvalidSegmentError';
  }
}
