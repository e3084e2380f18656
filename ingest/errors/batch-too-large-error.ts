import { CdpError } from '../../pipeline/core/errors/cdp-error.js';

/** A batch holds more events than INGEST_MAX_BATCH_EVENTS; the tracking routes answer 413 `too_many_events`. */
export class BatchTooLargeError extends CdpError {
  constructor(readonly count: number, readonly limit: number) {
    super('CDP_BATCH_TOO_LARGE', 413, `a batch may hold at most ${limit} events; this one has ${count}`);
  }
}
