import { CdpError } from '../../core/errors/cdp-error.js';
import { EventDestinationErrorCodes } from './destination-error-codes.js';

/** Pause and resume apply to event destinations only (409 for an audience webhook). */
export class NotEventDestinationError extends CdpError {
  constructor(id: string) {
    super(EventDestinationErrorCodes.NotEventDestination, 409, `destination ${id} is an audience webhook: only event destinations are paused and resumed`);
  }
}
