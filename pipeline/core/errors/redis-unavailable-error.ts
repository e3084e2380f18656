import { ErrorCodes } from './error-codes.js';

/** Redis cannot be reached or provisioned; the message says what to do about it. */
export class RedisUnavailableError extends Error {
  readonly code = ErrorCodes.RedisUnavailable;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}
