import { ErrorCodes } from './error-codes.js';

/** The running server refused or failed a CLI request; the message is the server's own. */
export class ServerError extends Error {
  readonly code = ErrorCodes.ServerError;
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'ServerError';
  }
}
