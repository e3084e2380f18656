export interface GroupCommitOptions<T> {
  /** Writes one group durably; resolves only when every item in it is safe. */
  write(items: T[]): Promise<void>;
  /** Weight of one item (e.g. its event count), counted against `maxWeight`. */
  weight(item: T): number;
  /** Most weight in one write; a single item heavier than this is still written, alone. */
  maxWeight: number;
  /** Writes allowed in flight at once (pipelining on one connection). */
  maxInFlight: number;
  /**
   * True when a failed write may be the fault of one of its items rather than of the store (e.g. an item that
   * cannot be serialized): each item is then written alone, so that only the faulty one fails.
   */
  isItemFault?(err: unknown): boolean;
  /** The clock submissions are timed on (oldestWaitMs); Date.now by default. */
  now?(): number;
}

export interface GroupCommit<T> {
  /** Resolves when the item is written, rejects with the write's error. */
  submit(item: T): Promise<void>;
  /** Resolves when nothing is pending or in flight. */
  drain(): Promise<void>;
  readonly pending: number;
  /** How long the oldest item not yet written (queued or in flight) has waited, in ms; 0 when there is none. */
  oldestWaitMs(): number;
}

interface Waiter<T> {
  item: T;
  weight: number;
  /** When it was submitted. */
  at: number;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Group commit: requests that arrive while a write is in flight are coalesced into the next write, so the
 * number of Redis round trips grows with time, not with requests. Under light load a request is written
 * on the next turn of the event loop; under heavy load groups grow up to `maxWeight`.
 */
export function createGroupCommit<T>(opts: GroupCommitOptions<T>): GroupCommit<T> {
  const now = opts.now ?? Date.now;
  let queue: Waiter<T>[] = [];
  // The submission time of each write in flight (its oldest item's).
  const inFlightSince = new Set<{ at: number }>();
  let queuedWeight = 0;
  let inFlight = 0;
  let scheduled = false;
  let idle: (() => void)[] = [];

  const settleIdle = () => {
    if (queue.length === 0 && inFlight === 0) {
      const waiting = idle;
      idle = [];
      for (const resolve of waiting) resolve();
    }
  };

  // Requests coalesced into one write must not share the fate of one bad request: when the failure may be an
  // item's own, each is written again alone and only the faulty ones fail.
  const write = (group: Waiter<T>[]): Promise<void> =>
    opts.write(group.map((w) => w.item)).then(
      () => {
        for (const w of group) w.resolve();
      },
      async (err: unknown) => {
        if (group.length > 1 && opts.isItemFault?.(err)) {
          await Promise.all(group.map((w) => write([w])));
          return;
        }
        for (const w of group) w.reject(err);
      },
    );

  const flush = () => {
    scheduled = false;
    while (inFlight < opts.maxInFlight && queue.length > 0) {
      const group: Waiter<T>[] = [];
      let weight = 0;
      while (queue.length > 0 && (group.length === 0 || weight + queue[0]!.weight <= opts.maxWeight)) {
        const next = queue.shift()!;
        group.push(next);
        weight += next.weight;
      }
      queuedWeight -= weight;
      inFlight++;
      const since = { at: group[0]!.at };
      inFlightSince.add(since);
      write(group).finally(() => {
        inFlight--;
        inFlightSince.delete(since);
        schedule();
        settleIdle();
      });
    }
  };

  // setImmediate runs after the current I/O phase, so every request parsed in this turn joins the group.
  const schedule = () => {
    if (!scheduled && queue.length > 0 && inFlight < opts.maxInFlight) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  return {
    submit(item) {
      return new Promise<void>((resolve, reject) => {
        const weight = opts.weight(item);
        queue.push({ item, weight, at: now(), resolve, reject });
        queuedWeight += weight;
        schedule();
      });
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
    get pending() {
      return queuedWeight;
    },
    oldestWaitMs() {
      let oldest = queue[0]?.at ?? Infinity;
      for (const { at } of inFlightSince) oldest = Math.min(oldest, at);
      return oldest === Infinity ? 0 : Math.max(0, now() - oldest);
    },
  };
}
