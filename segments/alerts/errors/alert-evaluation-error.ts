import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { AlertErrorCodes } from './alert-error-codes.js';

/** Some alerts of a minute could not be evaluated (their metric's query failed, say): the minute is retried for them. */
export class AlertEvaluationError extends CdpError {
  constructor(readonly failedIds: string[], minute: number, options?: ErrorOptions) {
    super(AlertErrorCodes.EvaluationFailed, 500, `alerts ${failedIds.map((id) => `"${id}"`).join(', ')} failed to evaluate for the minute ending ${new Date(minute).toISOString()}`, options);
  }
}
