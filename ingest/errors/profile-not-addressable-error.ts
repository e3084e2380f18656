import { CdpError } from '../../pipeline/core/errors/cdp-error.js';

/**
 * The product cannot record an event of its own for this profile: the live identity graph holds no
 * identifier of it (never seen, deleted, or merged into another profile, whose id the caller should pass): 404.
 */
export class ProfileNotAddressableError extends CdpError {
  constructor(readonly profileId: string) {
    super('profile_not_found', 404, `no live profile "${profileId}" to record an event for`);
  }
}
