/** A batch holds more events than INGEST_MAX_BATCH_EVENTS; answered with 413. */
export class BatchTooLargeError extends Error {
  readonly code = 'CDP_BATCH_TOO_LARGE';
  constructor(readonly count: number, readonly limit: number) {
    super(`a batch may hold at most ${limit} events; this one has ${count}`);
    this.name = 'BatchTooLargeError';
  }
}
