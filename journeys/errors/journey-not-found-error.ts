import { CdpError } from '../../pipeline/core/errors/cdp-error.js';
import { JourneyErrorCodes } from './journey-error-codes.js';

export class JourneyNotFoundError extends CdpError {
  constructor(id: string) {
    super(JourneyErrorCodes.NotFound, 404, `no journey ${id}`);
  }
}
