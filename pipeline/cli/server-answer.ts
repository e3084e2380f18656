import { ServerError } from '../core/errors/server-error.js';
import type { LocalServer } from './server-or-direct.js';

/**
 * A command answered by the running product: `ask`'s answer as pretty JSON. A refusal is thrown again with the
 * server's status, code and message after `what` (e.g. "tracking plan web"), and every other field of its
 * answer (problems by path, a transform's position) below, so that the CLI exits non-zero saying all of it.
 */
export async function serverAnswer(server: LocalServer, ask: (server: LocalServer) => Promise<unknown>, what = ''): Promise<string> {
  try {
    return JSON.stringify(await ask(server), null, 2);
  } catch (err) {
    if (!(err instanceof ServerError)) throw err;
    const { success: _success, code, message: _message, ...details } = err.answer;
    const more = Object.keys(details).length > 0 ? `\n${JSON.stringify(details, null, 2)}` : '';
    throw new ServerError(`${what ? `${what} ` : ''}refused (${err.statusCode} ${String(code ?? 'unknown')}): ${err.message}${more}`, err.statusCode, err.answer);
  }
}
