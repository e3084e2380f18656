import { AudienceErrorCodes } from './audience-error-codes.js';

/** A cursor query parameter that this API did not issue, or issued for another segment or endpoint. */
export class InvalidCursorError extends Error {
  readonly code = AudienceErrorCodes.InvalidCursor;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCursorError';
  }
}
