import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { DestinationErrorCodes } from './destination-error-codes.js';

/** A connection refused because the destination's host resolved to a private address at connection time (DNS can change). */
export class PrivateAddressError extends CdpError {
  constructor(host: string, address: string) {
    super(DestinationErrorCodes.PrivateAddress, 502, `${host} resolved to ${address}, a loopback, private or link-local address: not connected`);
  }
}
