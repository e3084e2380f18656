/**
 * Machine-readable codes of the shared base's errors (pipeline/core/errors/: configuration, Redis, the data
 * folder, the CLI, the SQL guard), thrown by any part of the product; callers switch on these, not on messages.
 * Features keep codes of their own (segments/errors/, segments/audience/errors/, ingest/errors/, ...).
 */
export const ErrorCodes = {
  ConfigInvalid: 'CDP_CONFIG_INVALID',
  RedisUnavailable: 'CDP_REDIS_UNAVAILABLE',
  DataDirLocked: 'CDP_DATA_DIR_LOCKED',
  UsageError: 'CDP_USAGE',
  ServerError: 'CDP_SERVER_ERROR',
  SqlNotAllowed: 'CDP_SQL_NOT_ALLOWED',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
