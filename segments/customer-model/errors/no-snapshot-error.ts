import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';

/**
 * No successful snapshot of a job stands at the date asked (400 `no_snapshot`): the date is before the first
 * one, or the job has never run. The answer names the first snapshot, when there is one.
 */
export class NoSnapshotError extends CdpError {
  constructor(job: string, parameter: string, asked: string, firstAsOf: string | null) {
    super(
      'no_snapshot',
      400,
      firstAsOf === null
        ? `${parameter}: no ${job} snapshot has been taken yet (npx cdp jobs run ${job})`
        : `${parameter}: no ${job} snapshot stands at ${asked}; the first is as of ${firstAsOf}`,
      { reply: { job, first_as_of: firstAsOf } },
    );
  }
}
