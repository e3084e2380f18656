/**
 * Machine-readable codes of the shared base's errors (pipeline/core/errors/: configuration, Redis, the data
 * folder, the CLI, the SQL guard), thrown by any part of the product; callers switch on these, not on messages.
 * Features keep codes of their own (segments/errors/, segments/audience/errors/, ingest/errors/, ...).
 * A code an HTTP route answers with is written as the route answers it (`sql_not_allowed`, the code of POST /v1/sql).
 */
export const ErrorCodes = {
  ConfigInvalid: 'CDP_CONFIG_INVALID',
  RedisUnavailable: 'CDP_REDIS_UNAVAILABLE',
  DataDirLocked: 'CDP_DATA_DIR_LOCKED',
  ClusterDdl: 'CDP_CLUSTER_DDL',
  UsageError: 'CDP_USAGE',
  ServerError: 'CDP_SERVER_ERROR',
  SqlNotAllowed: 'sql_not_allowed',
  InvalidRequest: 'invalid_request',
  AlreadyExists: 'already_exists',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
