import { CdpError } from './cdp-error.js';
import { ErrorCodes } from './error-codes.js';

/** Redis cannot be reached or provisioned; the message says what to do about it. */
export class RedisUnavailableError extends CdpError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCodes.RedisUnavailable, 503, message, options);
  }
}
