/** How a CdpError is made: its cause, and what an HTTP answer carries besides success, code and message. */
export interface CdpErrorOptions extends ErrorOptions {
  /** Extra fields of the JSON answer, e.g. `problems` of an invalid segment. */
  reply?: Record<string, unknown>;
  /** Headers of the answer, e.g. `retry-after` on a 503. */
  headers?: Record<string, string>;
}

/**
 * The base of every error the product throws, in the spirit of @fastify/error: a machine `code` that callers
 * decide on (never the message or the class name) and the HTTP `statusCode` it is answered with. The one
 * error handler (pipeline/process/error-handler.ts) answers `{ success: false, code, message, ...reply }`
 * with that status; the CLI prints the message of a CdpError and the stack of anything else.
 */
export class CdpError extends Error {
  readonly reply: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    options: CdpErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.reply = options.reply ?? {};
    this.headers = options.headers ?? {};
  }
}
