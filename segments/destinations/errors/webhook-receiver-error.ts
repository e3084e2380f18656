import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { DestinationErrorCodes } from './destination-error-codes.js';

/** A delivery the receiver did not accept (non-2xx answer, timeout, connection error): it is retried. */
export class WebhookReceiverError extends CdpError {
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(DestinationErrorCodes.ReceiverFailed, 502, message, options);
  }
}
