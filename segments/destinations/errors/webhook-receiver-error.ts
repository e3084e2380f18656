import { DestinationErrorCodes } from './destination-error-codes.js';

/** A delivery the receiver did not accept (non-2xx answer, timeout, connection error): it is retried. */
export class WebhookReceiverError extends Error {
  readonly code = DestinationErrorCodes.ReceiverFailed;
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookReceiverError';
  }
}
