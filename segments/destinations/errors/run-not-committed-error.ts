import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { DestinationErrorCodes } from './destination-error-codes.js';

/** A delivery of a run with no segment_runs row: its changes must not leave the product (it is retried). */
export class RunNotCommittedError extends CdpError {
  constructor(segmentId: string, seq: number) {
    super(DestinationErrorCodes.RunNotCommitted, 500, `run ${seq} of segment ${segmentId} is not committed`);
  }
}
