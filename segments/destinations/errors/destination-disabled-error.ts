import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { DestinationErrorCodes } from './destination-error-codes.js';

/** A destination disabled by a 410 Gone takes no more deliveries, replays included (409). */
export class DestinationDisabledError extends CdpError {
  constructor(id: string, reason: string | null) {
    super(DestinationErrorCodes.Disabled, 409, `destination ${id} is disabled (${reason}); create a new one to deliver again`);
  }
}
