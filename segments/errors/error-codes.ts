/** Machine-readable codes of the errors segments/ throws, as the segment routes answer them (404 and 400). */
export const SegmentErrorCodes = {
  NotFound: 'CDP_SEGMENT_NOT_FOUND',
  Invalid: 'CDP_SEGMENT_INVALID',
} as const;
