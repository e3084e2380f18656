import { CdpError } from '../../core/errors/cdp-error.js';
import { EventDestinationErrorCodes } from './destination-error-codes.js';

/** A transform that is not a JSONata expression (400), with where the parser stopped. */
export class InvalidTransformError extends CdpError {
  constructor(message: string, position: number | undefined, jsonataCode: string | undefined) {
    super(EventDestinationErrorCodes.InvalidTransform, 400, `transform: ${message}${position === undefined ? '' : ` (at position ${position})`}`, {
      reply: { position: position ?? null, jsonata_code: jsonataCode ?? null },
    });
  }
}
