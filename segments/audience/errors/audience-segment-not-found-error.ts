import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { AudienceErrorCodes } from './audience-error-codes.js';

/** The audience of a segment that is unknown or deleted (404), asked for by the audience API or a destination. */
export class AudienceSegmentNotFoundError extends CdpError {
  constructor(segmentId: string) {
    super(AudienceErrorCodes.SegmentNotFound, 404, `no segment "${segmentId}" (unknown or deleted)`);
  }
}
