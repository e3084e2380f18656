/** Machine-readable codes of the errors segments/audience throws (also the `code` of their answers). */
export const AudienceErrorCodes = {
  InvalidConsent: 'invalid_consent',
  InvalidCursor: 'invalid_cursor',
  InvalidTraits: 'invalid_traits',
  SegmentNotFound: 'segment_not_found',
} as const;
export type AudienceErrorCode = (typeof AudienceErrorCodes)[keyof typeof AudienceErrorCodes];
