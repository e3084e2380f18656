import { CdpError } from '../../pipeline/core/errors/cdp-error.js';

/**
 * The queue write failed (`unreachable`: Redis down or refusing) or was not confirmed within
 * INGEST_ENQUEUE_TIMEOUT_MS (`timeout`); answered with 503. A queue over its depth bound is refused before any
 * write (the route reads `enqueuer.overloaded` and answers 503 `overloaded` itself), so it is no reason here.
 */
export class QueueUnavailableError extends CdpError {
  constructor(message: string, readonly reason: 'unreachable' | 'timeout', options?: ErrorOptions) {
    super('CDP_QUEUE_UNAVAILABLE', 503, message, options);
  }
}
