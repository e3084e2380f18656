import { ErrorCodes } from './error-codes.js';

/** An analyst query the SQL guard refuses: the message names the function, table or clause. */
export class SqlNotAllowedError extends Error {
  readonly code = ErrorCodes.SqlNotAllowed;
  constructor(message: string) {
    super(message);
    this.name = 'SqlNotAllowedError';
  }
}
