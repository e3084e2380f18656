import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { TraitErrorCodes } from './error-codes.js';

/** No computed trait with this id (never made, or deleted): 404. */
export class TraitNotFoundError extends CdpError {
  constructor(readonly traitId: string) {
    super(TraitErrorCodes.NotFound, 404, `no computed trait "${traitId}"`);
  }
}
