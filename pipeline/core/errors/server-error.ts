import { CdpError } from './cdp-error.js';
import { ErrorCodes } from './error-codes.js';

/** The running server refused or failed a CLI request; the message is the server's own, the status its answer's. */
export class ServerError extends CdpError {
  constructor(message: string, status: number) {
    super(ErrorCodes.ServerError, status, message);
  }
}
