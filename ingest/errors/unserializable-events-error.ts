/** A request's own events could not be written to the queue (they cannot be serialized); answered with 400. */
export class UnserializableEventsError extends Error {
  readonly code = 'CDP_UNSERIALIZABLE_EVENTS';
  constructor(options?: ErrorOptions) {
    super('the events could not be serialized for the queue', options);
    this.name = 'UnserializableEventsError';
  }
}
