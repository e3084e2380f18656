import { CdpError } from '../../pipeline/core/errors/cdp-error.js';

/** A request's own events could not be written to the queue (they cannot be serialized); answered with 400. */
export class UnserializableEventsError extends CdpError {
  constructor(options?: ErrorOptions) {
    super('CDP_UNSERIALIZABLE_EVENTS', 400, 'the events could not be serialized for the queue', options);
  }
}
