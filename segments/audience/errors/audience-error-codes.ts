/** Machine-readable codes of the errors segments/audience throws (also the `code` of their 400 answers). */
export const AudienceErrorCodes = {
  InvalidCursor: 'invalid_cursor',
  InvalidTraits: 'invalid_traits',
} as const;
export type AudienceErrorCode = (typeof AudienceErrorCodes)[keyof typeof AudienceErrorCodes];
