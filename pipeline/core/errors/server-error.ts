import { CdpError } from './cdp-error.js';
import { ErrorCodes } from './error-codes.js';

/**
 * The running server refused or failed a CLI request; the message is the server's own, the status its
 * answer's, and `answer` the JSON it answered (its `code`, and fields such as `problems`), for commands that
 * print more than the message.
 */
export class ServerError extends CdpError {
  constructor(
    message: string,
    status: number,
    readonly answer: Record<string, unknown> = {},
  ) {
    super(ErrorCodes.ServerError, status, message);
  }
}
