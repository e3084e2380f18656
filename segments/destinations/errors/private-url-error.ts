import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { DestinationErrorCodes } from './destination-error-codes.js';

/** A destination URL whose host is, or resolves to, a loopback, private or link-local address (400). */
export class PrivateUrlError extends CdpError {
  constructor(host: string, address: string) {
    super(
      DestinationErrorCodes.PrivateUrl,
      400,
      `url: ${host} resolves to ${address}, a loopback, private or link-local address; destinations may only reach public addresses (DESTINATIONS_ALLOW_PRIVATE=true lifts this)`,
    );
  }
}
