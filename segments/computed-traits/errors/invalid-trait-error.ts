import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { TraitErrorCodes } from './error-codes.js';

export interface TraitProblem {
  /** Where in the definition, e.g. "property" or "where.0.op". */
  path: string;
  message: string;
}

/** A computed trait definition that cannot be saved or previewed, or deleted while segments use it; `problems` says each thing wrong (400). */
export class InvalidTraitError extends CdpError {
  constructor(readonly problems: TraitProblem[]) {
    super(TraitErrorCodes.Invalid, 400, `invalid computed trait: ${problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ')}`, { reply: { problems } });
  }
}
