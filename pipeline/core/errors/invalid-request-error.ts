import { CdpError } from './cdp-error.js';
import { ErrorCodes } from './error-codes.js';

/** A request whose parameters, query or body do not fit its route; the message names each thing wrong. */
export class InvalidRequestError extends CdpError {
  constructor(message: string) {
    super(ErrorCodes.InvalidRequest, 400, message);
  }
}
