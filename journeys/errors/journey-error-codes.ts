/** Machine-readable codes of the errors journeys/ throws (as the routes answer them). */
export const JourneyErrorCodes = {
  Invalid: 'CDP_JOURNEY_INVALID',
  NotFound: 'CDP_JOURNEY_NOT_FOUND',
} as const;
export type JourneyErrorCode = (typeof JourneyErrorCodes)[keyof typeof JourneyErrorCodes];
