import { UnrecoverableError } from 'bullmq';
import { DestinationErrorCodes } from './destination-error-codes.js';

/** The receiver answered 410 Gone: the destination is disabled and the job fails without further attempts. */
export class DestinationGoneError extends UnrecoverableError {
  readonly code = DestinationErrorCodes.DestinationGone;
  constructor(destinationId: string) {
    super(`destination ${destinationId} answered 410 Gone; it is disabled`);
    this.name = 'DestinationGoneError';
  }
}
