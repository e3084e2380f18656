/** Machine-readable codes of the errors segments/destinations throws (the HTTP ones as their routes answer them). */
export const DestinationErrorCodes = {
  ReceiverFailed: 'CDP_WEBHOOK_RECEIVER_FAILED',
  DestinationGone: 'CDP_WEBHOOK_DESTINATION_GONE',
  RunNotCommitted: 'CDP_WEBHOOK_RUN_NOT_COMMITTED',
  NotFound: 'destination_not_found',
  Disabled: 'destination_disabled',
  PrivateUrl: 'private_url',
  PrivateAddress: 'CDP_DESTINATION_PRIVATE_ADDRESS',
} as const;
export type DestinationErrorCode = (typeof DestinationErrorCodes)[keyof typeof DestinationErrorCodes];
