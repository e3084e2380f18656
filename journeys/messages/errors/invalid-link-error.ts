import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { MessageErrorCodes } from './message-error-codes.js';

/** A message link that is not one the product makes (missing, cut or garbled token): 400, never a redirect. */
export class InvalidLinkError extends CdpError {
  constructor() {
    super(MessageErrorCodes.InvalidLink, 400, 'this link is not valid: it may have been cut; open it again from the message');
  }
}
