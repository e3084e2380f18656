/**
 * A queue for work that must not interleave in this process (a job's delete and insert; a segment's version
 * number; a membership run's diff and commit; a tracking plan's version): each call starts when the one before it has settled. A
 * failure is the caller's and does not stop the next.
 */
export function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return (work) => {
    const next = chain.then(work);
    chain = next.catch(() => undefined);
    return next;
  };
}
