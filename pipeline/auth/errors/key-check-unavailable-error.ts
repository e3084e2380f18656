import { CdpError } from '../../core/errors/cdp-error.js';

/** The key could not be checked (Redis unreachable): the key is not wrong, so the client may retry. */
export class KeyCheckUnavailableError extends CdpError {
  constructor(options?: ErrorOptions) {
    super('unavailable', 503, 'the key could not be checked; retry later', { ...options, headers: { 'retry-after': '2' } });
  }
}
