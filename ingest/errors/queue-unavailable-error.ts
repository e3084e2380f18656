import { CdpError } from '../../pipeline/core/errors/cdp-error.js';

/** The queue cannot take events now (Redis down, slow, or the queue is over its depth bound); answered with 503. */
export class QueueUnavailableError extends CdpError {
  constructor(message: string, readonly reason: 'overloaded' | 'unreachable' | 'timeout', options?: ErrorOptions) {
    super('CDP_QUEUE_UNAVAILABLE', 503, message, options);
  }
}
