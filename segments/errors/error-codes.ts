/**
 * Machine-readable codes of the segment store's and runner's errors. segment-routes.ts answers NotFound with 404
 * and Invalid with 400 and its problems by path; the audience and destination routes answer an unknown segment
 * with a code of their own, segment_not_found.
 */
export const SegmentErrorCodes = {
  NotFound: 'CDP_SEGMENT_NOT_FOUND',
  Invalid: 'CDP_SEGMENT_INVALID',
} as const;
