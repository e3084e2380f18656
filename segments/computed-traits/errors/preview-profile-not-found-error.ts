import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { TraitErrorCodes } from './error-codes.js';

/** A preview asked for a profile that no loaded event names, under its own id or merged into another (404). */
export class PreviewProfileNotFoundError extends CdpError {
  constructor(readonly profileId: string) {
    super(TraitErrorCodes.ProfileNotFound, 404, `no profile "${profileId}"`);
  }
}
