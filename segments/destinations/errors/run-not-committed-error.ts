import { DestinationErrorCodes } from './destination-error-codes.js';

/** A delivery of a run with no segment_runs row: its changes must not leave the product (it is retried). */
export class RunNotCommittedError extends Error {
  readonly code = DestinationErrorCodes.RunNotCommitted;
  constructor(segmentId: string, seq: number) {
    super(`run ${seq} of segment ${segmentId} is not committed`);
    this.name = 'RunNotCommittedError';
  }
}
