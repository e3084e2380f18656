import { CdpError } from '../../pipeline/core/errors/cdp-error.js';
import { SegmentErrorCodes } from './error-codes.js';

/** No segment with this id (never made, or deleted): 404. */
export class SegmentNotFoundError extends CdpError {
  constructor(readonly segmentId: string) {
    super(SegmentErrorCodes.NotFound, 404, `no segment "${segmentId}"`);
  }
}
