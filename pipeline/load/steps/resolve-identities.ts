import type { IdentifiedEvent, LoadBatch, ResolvedEvent } from '../load-batch.js';
import { isolated } from '../isolate-faults.js';
import { refuseAtLoad } from '../refuse-at-load.js';
import type { LoadStep } from '../step-runner.js';

/**
 * Resolves the events to profiles in the identity graph (identity/resolver.ts, one Lua call per chunk). An
 * event the script refuses is found by bisection and refused; the others are resolved. Resolution is
 * idempotent, so a retried job (or a half of a split one) resolves again and gets the same profiles; the
 * identity tables collapse the repeated rows.
 */
export const resolveIdentities: LoadStep<LoadBatch<IdentifiedEvent>, LoadBatch<ResolvedEvent>> = {
  name: 'resolve-identities',
  async run(batch, ctx) {
    const refusedAtLoad = [...batch.refusedAtLoad];
    const resolutions = await isolated(
      batch.events,
      (part) => ctx.resolver.resolve(part.map(({ input }) => input)),
      ({ entry }, err) => refusedAtLoad.push(refuseAtLoad(ctx, entry, err)),
    );
    const events: ResolvedEvent[] = [];
    batch.events.forEach(({ entry }, i) => {
      const resolution = resolutions[i];
      if (resolution) events.push({ entry, resolution });
    });
    return { ...batch, events, refusedAtLoad };
  },
};
