import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { MessageErrorCodes } from './message-error-codes.js';

/** A well-formed message link whose signature is not the product's (changed, or made elsewhere): 403, never a redirect. */
export class ForgedLinkError extends CdpError {
  constructor() {
    super(MessageErrorCodes.ForgedLink, 403, 'this link was not signed by this product');
  }
}
