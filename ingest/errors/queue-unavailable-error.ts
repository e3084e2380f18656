/**
 * The queue write failed (`unreachable`: Redis down or refusing) or was not confirmed within
 * INGEST_ENQUEUE_TIMEOUT_MS (`timeout`); answered with 503. A queue over its depth bound is refused before any
 * write (the route reads `enqueuer.overloaded` and answers 503 `overloaded` itself): enqueue.ts never gives
 * `overloaded` as the reason.
 */
export class QueueUnavailableError extends Error {
  readonly code = 'CDP_QUEUE_UNAVAILABLE';
  constructor(message: string, readonly reason: 'overloaded' | 'unreachable' | 'timeout', options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}
