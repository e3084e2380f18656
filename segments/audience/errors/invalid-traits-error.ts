import { AudienceErrorCodes } from './audience-error-codes.js';

/** A `traits` query parameter naming a trait badly, twice, or too many traits. */
export class InvalidTraitsError extends Error {
  readonly code = AudienceErrorCodes.InvalidTraits;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTraitsError';
  }
}
