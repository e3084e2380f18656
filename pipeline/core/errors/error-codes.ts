/** Machine-readable codes of the errors pipeline/ throws; callers switch on these, not on messages. */
export const ErrorCodes = {
  ConfigInvalid: 'CDP_CONFIG_INVALID',
  RedisUnavailable: 'CDP_REDIS_UNAVAILABLE',
  DataDirLocked: 'CDP_DATA_DIR_LOCKED',
  UsageError: 'CDP_USAGE',
  ServerError: 'CDP_SERVER_ERROR',
  SqlNotAllowed: 'CDP_SQL_NOT_ALLOWED',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
