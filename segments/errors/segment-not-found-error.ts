import { SegmentErrorCodes } from './error-codes.js';

export class SegmentNotFoundError extends Error {
  readonly code = SegmentErrorCodes.NotFound;
  constructor(readonly segmentId: string) {
    super(`no segment "${segmentId}"`);
    this.name = 'SegmentNotFoundError';
  }
}
