import { ErrorCodes } from './error-codes.js';

/** A CLI command was called wrongly; the message names the argument. */
export class UsageError extends Error {
  readonly code = ErrorCodes.UsageError;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
