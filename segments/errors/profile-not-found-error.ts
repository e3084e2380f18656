import { CdpError } from '../../pipeline/core/errors/cdp-error.js';

/** No profile holds this id (no event or identifier, or deleted): 404 `not_found`, as the profile API answers; the profile routes of recommendations and loyalty. */
export class ProfileNotFoundError extends CdpError {
  constructor(profileId: string) {
    super('not_found', 404, `no profile ${profileId}`);
  }
}
