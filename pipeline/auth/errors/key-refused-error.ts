import { CdpError } from '../../core/errors/cdp-error.js';

export type KeyRefusal = 'missing_key' | 'invalid_key' | 'forbidden';

/** A management route refused the request's key: none or unknown (401), or not enough for the route (403). */
export class KeyRefusedError extends CdpError {
  constructor(code: KeyRefusal, message: string) {
    super(code, code === 'forbidden' ? 403 : 401, message);
  }
}
