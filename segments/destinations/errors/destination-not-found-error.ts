import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { DestinationErrorCodes } from './destination-error-codes.js';

/** No destination with this id (404). */
export class DestinationNotFoundError extends CdpError {
  constructor(id: string) {
    super(DestinationErrorCodes.NotFound, 404, `no destination ${id}`);
  }
}
