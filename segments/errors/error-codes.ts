/** Machine-readable codes of the errors segments/ throws; the HTTP routes map them to 404 and 400. */
export const SegmentErrorCodes = {
  NotFound: 'CDP_SEGMENT_NOT_FOUND',
  Invalid: 'CDP_SEGMENT_INVALID',
} as const;
