import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { AudienceErrorCodes } from './audience-error-codes.js';

/** A `consent` query parameter naming a category badly, twice, or too many categories (400). */
export class InvalidConsentError extends CdpError {
  constructor(message: string) {
    super(AudienceErrorCodes.InvalidConsent, 400, message);
  }
}
