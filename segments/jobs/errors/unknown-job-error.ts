import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { JOB_NAMES } from '../jobs.js';

/** `POST /v1/jobs/:name/run` with a name that is no job (404). */
export class UnknownJobError extends CdpError {
  constructor() {
    super('unknown_job', 404, `jobs are ${[...JOB_NAMES, 'all'].join(', ')}`);
  }
}
