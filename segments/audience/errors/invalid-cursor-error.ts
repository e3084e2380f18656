import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { AudienceErrorCodes } from './audience-error-codes.js';

/** A cursor query parameter that this API did not issue, or issued for another segment or endpoint (400). */
export class InvalidCursorError extends CdpError {
  constructor(message: string) {
    super(AudienceErrorCodes.InvalidCursor, 400, message);
  }
}
