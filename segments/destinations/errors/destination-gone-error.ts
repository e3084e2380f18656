import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { DestinationErrorCodes } from './destination-error-codes.js';

/** The receiver answered 410 Gone: the destination is disabled and the job fails without further attempts. */
export class DestinationGoneError extends CdpError {
  constructor(destinationId: string) {
    super(DestinationErrorCodes.DestinationGone, 410, `destination ${destinationId} answered 410 Gone; it is disabled`);
    // BullMQ gives up at once on an error of this name (its documented alternative to extending its class).
    this.name = 'UnrecoverableError';
  }
}
