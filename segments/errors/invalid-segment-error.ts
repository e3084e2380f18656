import { CdpError } from '../../pipeline/core/errors/cdp-error.js';
import { SegmentErrorCodes } from './error-codes.js';

export interface SegmentProblem {
  /** Where in the definition, e.g. "conditions.conditions.1.value" or "sql". */
  path: string;
  message: string;
}

/** A segment definition (or analyst SQL) that cannot be saved or previewed; `problems` says each thing wrong (400). */
export class InvalidSegmentError extends CdpError {
  constructor(readonly problems: SegmentProblem[]) {
    super(SegmentErrorCodes.Invalid, 400, `invalid segment: ${problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ')}`, { reply: { problems } });
  }
}
