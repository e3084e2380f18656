import { describe, expect, test } from 'vitest';
import { createGroupCommit } from '../../ingest/group-commit.js';

// The write function is driven by hand: each call waits until the test resolves or rejects it.
// `turns()` lets setImmediate callbacks (the group-commit flush) and the promise reactions they start run;
// nothing here depends on wall-clock time.

interface Item {
  id: string;
  w: number;
}

interface WriteCall {
  ids: string[];
  resolve(): void;
  reject(err: unknown): void;
}

function manualWriter() {
  const calls: WriteCall[] = [];
  let inFlight = 0;
  let maxSeenInFlight = 0;
  const write = (items: Item[]) =>
    new Promise<void>((resolve, reject) => {
      inFlight++;
      maxSeenInFlight = Math.max(maxSeenInFlight, inFlight);
      const settle = () => inFlight--;
      calls.push({
        ids: items.map((i) => i.id),
        resolve: () => {
          settle();
          resolve();
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
    });
  return {
    calls,
    write,
    get maxSeenInFlight() {
      return maxSeenInFlight;
    },
  };
}

async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Observes a promise's outcome without awaiting it. */
function watch(p: Promise<void>) {
  const s: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  p.then(
    () => (s.state = 'resolved'),
    (err: unknown) => {
      s.state = 'rejected';
      s.error = err;
    },
  );
  return s;
}

const item = (id: string, w = 1): Item => ({ id, w });

function setup(maxWeight: number, maxInFlight: number) {
  const writer = manualWriter();
  const gc = createGroupCommit<Item>({ write: writer.write, weight: (i) => i.w, maxWeight, maxInFlight });
  const submit = (id: string, w = 1) => watch(gc.submit(item(id, w)));
  return { writer, gc, submit };
}

describe('grouping', () => {
  test('submits of the same tick are written in one write call, on a later turn', async () => {
    const { writer, submit } = setup(100, 1);
    const subs = [submit('a'), submit('b'), submit('c')];
    expect(writer.calls).toHaveLength(0);
    await turns();
    expect(writer.calls.map((c) => c.ids)).toEqual([['a', 'b', 'c']]);
    expect(subs.map((s) => s.state)).toEqual(['pending', 'pending', 'pending']);
    writer.calls[0]!.resolve();
    await turns();
    expect(subs.map((s) => s.state)).toEqual(['resolved', 'resolved', 'resolved']);
  });

  test('a submit after the group was written goes into the next write', async () => {
    const { writer, submit } = setup(100, 4);
    submit('a');
    await turns();
    submit('b');
    await turns();
    expect(writer.calls.map((c) => c.ids)).toEqual([['a'], ['b']]);
  });

  test('maxWeight splits a tick’s submits into several groups, in order', async () => {
    const { writer, submit } = setup(5, 10);
    submit('a', 2);
    submit('b', 2);
    submit('c', 2);
    submit('d', 3);
    await turns();
    // a+b = 4, adding c would make 6; c+d = 5 fits exactly.
    expect(writer.calls.map((c) => c.ids)).toEqual([['a', 'b'], ['c', 'd']]);
  });

  test('an item heavier than maxWeight is written alone', async () => {
    const { writer, submit } = setup(5, 10);
    const subs = [submit('small1', 1), submit('huge', 10), submit('small2', 1), submit('small3', 1)];
    await turns();
    expect(writer.calls.map((c) => c.ids)).toEqual([['small1'], ['huge'], ['small2', 'small3']]);
    for (const c of writer.calls) c.resolve();
    await turns();
    expect(subs.map((s) => s.state)).toEqual(['resolved', 'resolved', 'resolved', 'resolved']);
  });
});

describe('maxInFlight', () => {
  test('no more than maxInFlight writes run at once; the rest wait for one to finish', async () => {
    const { writer, submit } = setup(1, 2);
    const subs = ['a', 'b', 'c', 'd', 'e'].map((id) => submit(id));
    await turns();
    expect(writer.calls.map((c) => c.ids)).toEqual([['a'], ['b']]);

    writer.calls[0]!.resolve();
    await turns();
    expect(writer.calls.map((c) => c.ids)).toEqual([['a'], ['b'], ['c']]);
    expect(subs.map((s) => s.state)).toEqual(['resolved', 'pending', 'pending', 'pending', 'pending']);

    writer.calls[1]!.resolve();
    writer.calls[2]!.resolve();
    await turns();
    expect(writer.calls.map((c) => c.ids)).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
    writer.calls[3]!.resolve();
    writer.calls[4]!.resolve();
    await turns();
    expect(subs.every((s) => s.state === 'resolved')).toBe(true);
    expect(writer.maxSeenInFlight).toBe(2);
  });

  test('with one write in flight, later submits are coalesced into the next write', async () => {
    const { writer, submit } = setup(100, 1);
    submit('a');
    await turns();
    submit('b');
    submit('c');
    await turns();
    submit('d');
    await turns();
    expect(writer.calls.map((c) => c.ids)).toEqual([['a']]);
    writer.calls[0]!.resolve();
    await turns();
    expect(writer.calls.map((c) => c.ids)).toEqual([['a'], ['b', 'c', 'd']]);
    expect(writer.maxSeenInFlight).toBe(1);
  });
});

describe('failures', () => {
  test('a failed write rejects exactly the submitters of its group', async () => {
    const { writer, submit } = setup(2, 10);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => submit(id));
    await turns();
    expect(writer.calls.map((call) => call.ids)).toEqual([['a', 'b'], ['c', 'd']]);
    const boom = new Error('redis down');
    writer.calls[0]!.reject(boom);
    writer.calls[1]!.resolve();
    await turns();
    expect([a!.state, b!.state, c!.state, d!.state]).toEqual(['rejected', 'rejected', 'resolved', 'resolved']);
    expect(a!.error).toBe(boom);
    expect(b!.error).toBe(boom);
  });

  test('groups after a failed one are still written and succeed', async () => {
    const { writer, submit } = setup(100, 1);
    const a = submit('a');
    await turns();
    const b = submit('b');
    writer.calls[0]!.reject(new Error('timeout'));
    await turns();
    expect(a.state).toBe('rejected');
    expect(writer.calls.map((c) => c.ids)).toEqual([['a'], ['b']]);
    writer.calls[1]!.resolve();
    await turns();
    expect(b.state).toBe('resolved');

    const c = submit('c');
    await turns();
    writer.calls[2]!.resolve();
    await turns();
    expect(c.state).toBe('resolved');
  });
});

describe('a failure that may be an item\'s own', () => {
  function isolatingSetup() {
    const writer = manualWriter();
    const gc = createGroupCommit<Item>({ write: writer.write, weight: (i) => i.w, maxWeight: 100, maxInFlight: 4, isItemFault: (err) => err instanceof RangeError });
    return { writer, submit: (id: string) => watch(gc.submit(item(id))) };
  }

  test('each item of the group is written again alone, and only the faulty one fails', async () => {
    const { writer, submit } = isolatingSetup();
    const subs = [submit('a'), submit('poison'), submit('c')];
    await turns();
    writer.calls[0]!.reject(new RangeError('Maximum call stack size exceeded'));
    await turns();
    expect(writer.calls.slice(1).map((c) => c.ids)).toEqual([['a'], ['poison'], ['c']]);
    for (const c of writer.calls.slice(1)) {
      if (c.ids[0] === 'poison') c.reject(new RangeError('Maximum call stack size exceeded'));
      else c.resolve();
    }
    await turns();
    expect(subs.map((s) => s.state)).toEqual(['resolved', 'rejected', 'resolved']);
    expect(subs[1]!.error).toBeInstanceOf(RangeError);
  });

  test('a failure of the store itself still fails the whole group at once, without retrying items', async () => {
    const { writer, submit } = isolatingSetup();
    const subs = [submit('a'), submit('b')];
    await turns();
    writer.calls[0]!.reject(new Error('Connection is closed.'));
    await turns();
    expect(writer.calls).toHaveLength(1);
    expect(subs.map((s) => s.state)).toEqual(['rejected', 'rejected']);
  });
});

describe('drain and pending', () => {
  test('drain() with nothing to do resolves at once', async () => {
    const { gc } = setup(100, 1);
    const d = watch(gc.drain());
    await Promise.resolve();
    await Promise.resolve();
    expect(d.state).toBe('resolved');
  });

  test('drain() waits for in-flight and queued writes', async () => {
    const { writer, gc, submit } = setup(100, 1);
    const a = submit('a');
    await turns();
    submit('b');
    const d = watch(gc.drain());
    await turns();
    expect(d.state).toBe('pending');

    writer.calls[0]!.resolve();
    await turns();
    expect(a.state).toBe('resolved');
    expect(writer.calls).toHaveLength(2);
    expect(d.state).toBe('pending');

    writer.calls[1]!.resolve();
    await turns();
    expect(d.state).toBe('resolved');
  });

  test('drain() also resolves when the last write failed', async () => {
    const { writer, gc, submit } = setup(100, 1);
    const a = submit('a');
    const d = watch(gc.drain());
    await turns();
    writer.calls[0]!.reject(new Error('nope'));
    await turns();
    expect(a.state).toBe('rejected');
    expect(d.state).toBe('resolved');
  });

  test('pending is the weight queued and not yet handed to a write', async () => {
    const { writer, gc, submit } = setup(100, 1);
    expect(gc.pending).toBe(0);
    submit('a', 2);
    submit('b', 3);
    expect(gc.pending).toBe(5);
    await turns();
    expect(writer.calls).toHaveLength(1);
    expect(gc.pending).toBe(0);

    submit('c', 4);
    expect(gc.pending).toBe(4);
    await turns();
    expect(gc.pending).toBe(4); // the only write slot is busy
    writer.calls[0]!.resolve();
    await turns();
    expect(writer.calls.map((c) => c.ids)).toEqual([['a', 'b'], ['c']]);
    expect(gc.pending).toBe(0);
  });
});

describe('oldestWaitMs', () => {
  test('is the age of the oldest item not yet written, queued or in flight, on the given clock', async () => {
    let clock = 1000;
    const writer = manualWriter();
    const gc = createGroupCommit<Item>({ write: writer.write, weight: (i) => i.w, maxWeight: 100, maxInFlight: 1, now: () => clock });
    expect(gc.oldestWaitMs()).toBe(0);
    watch(gc.submit(item('a')));
    await turns();
    expect(writer.calls.map((c) => c.ids)).toEqual([['a']]);
    clock = 1400;
    watch(gc.submit(item('b')));
    clock = 1500;
    // 'a' is in flight since 1000, 'b' queued since 1400.
    expect(gc.oldestWaitMs()).toBe(500);
    writer.calls[0]!.resolve();
    await turns();
    // 'a' confirmed; 'b' is in flight now, still counted from its submit.
    expect(writer.calls.map((c) => c.ids)).toEqual([['a'], ['b']]);
    expect(gc.oldestWaitMs()).toBe(100);
    writer.calls[1]!.reject(new Error('store down'));
    await turns();
    expect(gc.oldestWaitMs()).toBe(0);
  });
});
