// Which load failures are the fault of the rows being loaded (one bad event) rather than of the
// infrastructure (ClickHouse or Redis down, slow, full). Only row faults are worth splitting a job for: the
// failing event is found by bisection and kept in rejected_events, and the rest loads. Infrastructure
// failures fail the whole job, which is retried and, in the end, waits in the dead letters.

// ClickHouse exception names (the client's `type`) that describe the data of an insert.
const CLICKHOUSE_ROW_FAULT = new RegExp(
  '^(CANNOT_PARSE_\\w+|CANNOT_READ_\\w+|CANNOT_CONVERT_TYPE|INCORRECT_DATA|TYPE_MISMATCH|DECIMAL_OVERFLOW|' +
    'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE|ARGUMENT_OUT_OF_BOUND|TOO_LARGE_STRING_SIZE|CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN|' +
    'ATTEMPT_TO_READ_AFTER_EOF|INCORRECT_NUMBER_OF_COLUMNS|UNKNOWN_FIELD|ILLEGAL_COLUMN|BAD_ARGUMENTS)$',
);

// TOO_MANY_PARTS names both a block spanning too many partitions (the data's fault) and merges falling behind
// inserts (the server's): only the first is a row fault.
const TOO_MANY_PARTITIONS = /Too many partitions for single INSERT block/;

// A Lua runtime error in one of our scripts (cjson refusing an input, say) is raised by the data it was given;
// a script that does not compile, or Redis refusing to run one (OOM, BUSY, READONLY), is not.
const SCRIPT_RUNTIME_ERROR = /user_script:\d+:|Error running script/;

export function isRowFault(err: unknown): boolean {
  if (err instanceof RangeError) return true;
  const e = err as { type?: unknown; name?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const message = typeof e.message === 'string' ? e.message : '';
  if (typeof e.type === 'string') return CLICKHOUSE_ROW_FAULT.test(e.type) || (e.type === 'TOO_MANY_PARTS' && TOO_MANY_PARTITIONS.test(message));
  return e.name === 'ReplyError' && SCRIPT_RUNTIME_ERROR.test(message) && !/Error compiling script/.test(message);
}

/** A short name of the fault, kept with the event in rejected_events. */
export function rowFaultCode(err: unknown): string {
  const e = err as { type?: unknown; name?: unknown } | null;
  if (e && typeof e.type === 'string') return e.type;
  if (e && e.name === 'ReplyError') return 'IDENTITY_SCRIPT_ERROR';
  return e && typeof e.name === 'string' ? e.name : 'Error';
}
