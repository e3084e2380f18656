import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { AlertErrorCodes } from './alert-error-codes.js';

/** No alert with this id (never made, or deleted): 404. */
export class AlertNotFoundError extends CdpError {
  constructor(readonly alertId: string) {
    super(AlertErrorCodes.NotFound, 404, `no alert "${alertId}"`);
  }
}
