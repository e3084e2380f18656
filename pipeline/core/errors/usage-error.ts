import { CdpError } from './cdp-error.js';
import { ErrorCodes } from './error-codes.js';

/** A CLI command was called wrongly; the message names the argument. */
export class UsageError extends CdpError {
  constructor(message: string) {
    super(ErrorCodes.UsageError, 400, message);
  }
}
