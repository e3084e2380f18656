/** The queue cannot take events now (Redis down, slow, or the queue is over its depth bound); answered with 503. */
export class QueueUnavailableError extends Error {
  readonly code = 'CDP_QUEUE_UNAVAILABLE';
  constructor(message: string, readonly reason: 'overloaded' | 'unreachable' | 'timeout', options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}
