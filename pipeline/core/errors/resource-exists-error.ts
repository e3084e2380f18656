import { CdpError } from './cdp-error.js';
import { ErrorCodes } from './error-codes.js';

/** A POST naming the id of a resource that exists: POST only creates; PUT on the id replaces. */
export class ResourceExistsError extends CdpError {
  constructor(kind: string, id: string, path: string) {
    super(ErrorCodes.AlreadyExists, 409, `${kind} "${id}" already exists; PUT ${path}/${id} replaces it`);
  }
}
