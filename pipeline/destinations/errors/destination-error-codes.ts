/** Machine-readable codes of the errors pipeline/destinations throws (as the routes answer them). */
export const EventDestinationErrorCodes = {
  InvalidTransform: 'invalid_transform',
  NotEventDestination: 'not_event_destination',
} as const;
export type EventDestinationErrorCode = (typeof EventDestinationErrorCodes)[keyof typeof EventDestinationErrorCodes];
