import type { LoadBatch, ResolvedEvent } from '../load-batch.js';
import type { LoadStep } from '../step-runner.js';

/**
 * Drops what carries a deleted customer's identifier (identity/profile-store.ts suppresses them): the events
 * the resolution found suppressed, and the refused items naming one (Resolver.suppressed). Counted.
 */
export const dropDeletedCustomers: LoadStep<LoadBatch<ResolvedEvent>, LoadBatch<ResolvedEvent>> = {
  name: 'drop-deleted-customers',
  async run(batch, { resolver }) {
    const events = batch.events.filter(({ resolution }) => !resolution.suppressed);
    const named = await resolver.suppressed(batch.refusals.map(({ r }) => r.identifiers ?? []));
    const refusals = batch.refusals.filter((_, i) => !named[i]);
    const dropped = batch.events.length - events.length + batch.refusals.length - refusals.length;
    return { ...batch, events, refusals, suppressed: batch.suppressed + dropped };
  },
};
