import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { MessageErrorCodes } from './message-error-codes.js';

/** No template with this id: 404. */
export class TemplateNotFoundError extends CdpError {
  constructor(id: string) {
    super(MessageErrorCodes.TemplateNotFound, 404, `no template "${id}"`);
  }
}
