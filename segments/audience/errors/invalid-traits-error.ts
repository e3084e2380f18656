import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { AudienceErrorCodes } from './audience-error-codes.js';

/** A `traits` query parameter naming a trait badly, twice, or too many traits (400). */
export class InvalidTraitsError extends CdpError {
  constructor(message: string) {
    super(AudienceErrorCodes.InvalidTraits, 400, message);
  }
}
