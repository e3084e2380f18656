import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { MessageErrorCodes } from './message-error-codes.js';

/** A template field Liquid refuses (bad syntax, an unknown filter): 400, with the field and where in it. */
export class InvalidTemplateError extends CdpError {
  constructor(field: string, message: string, position: { line: number; col: number } | undefined) {
    super(MessageErrorCodes.InvalidTemplate, 400, `${field}: ${message}`, { reply: { field, line: position?.line ?? null, col: position?.col ?? null } });
  }
}
