import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';

/** A job run on request failed; the message is the job's error (500). */
export class JobFailedError extends CdpError {
  constructor(cause: unknown) {
    super('job_failed', 500, (cause as Error).message, { cause });
  }
}
