import { CdpError } from './cdp-error.js';
import { ErrorCodes } from './error-codes.js';

/** An analyst query the SQL guard refuses: the message names the function, table or clause. */
export class SqlNotAllowedError extends CdpError {
  constructor(message: string) {
    super(ErrorCodes.SqlNotAllowed, 403, message);
  }
}
