import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { MessageErrorCodes } from './message-error-codes.js';

/** No subscription group with this id: 404. */
export class SubscriptionGroupNotFoundError extends CdpError {
  constructor(id: string) {
    super(MessageErrorCodes.SubscriptionGroupNotFound, 404, `no subscription group "${id}"`);
  }
}
