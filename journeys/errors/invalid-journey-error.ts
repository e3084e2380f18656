import { CdpError } from '../../pipeline/core/errors/cdp-error.js';
import { JourneyErrorCodes } from './journey-error-codes.js';

export interface JourneyProblem {
  /** Where in the definition, e.g. "steps.check.yes" or "entry.segment". */
  path: string;
  message: string;
}

/** A journey definition that cannot be saved (400); `problems` says each thing wrong, with its path. */
export class InvalidJourneyError extends CdpError {
  constructor(readonly problems: JourneyProblem[]) {
    super(JourneyErrorCodes.Invalid, 400, `invalid journey: ${problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ')}`, { reply: { problems } });
  }
}
