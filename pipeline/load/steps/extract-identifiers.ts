import { extractIdentifiers as identifiersOfEvent } from '../../../identity/identifiers.js';
import { candidateProfileId } from '../../../identity/resolver.js';
import { eachIsolated } from '../isolate-faults.js';
import type { IdentifiedEvent, LoadBatch, QueuedEvent } from '../load-batch.js';
import { refuseAtLoad } from '../refuse-at-load.js';
import type { LoadStep } from '../step-runner.js';

/**
 * Each event's identifiers, junk values left out (and counted), with the profile id to create should nothing
 * match: derived from the event, so a replay creates the same one. An event this throws for is refused.
 */
export const extractIdentifiers: LoadStep<LoadBatch<QueuedEvent>, LoadBatch<IdentifiedEvent>> = {
  name: 'extract-identifiers',
  async run(batch, ctx) {
    const refusedAtLoad = [...batch.refusedAtLoad];
    const identified = eachIsolated(
      batch.events,
      ({ e }) => {
        const { identifiers, blocked } = identifiersOfEvent(e, ctx.identityRules);
        for (const b of blocked) ctx.metrics.blockedIdentifiers.inc({ type: b.type });
        return { candidate: candidateProfileId(e.sourceId, e.messageId), identifiers };
      },
      (entry, err) => refusedAtLoad.push(refuseAtLoad(ctx, entry, err)),
    );
    return { ...batch, events: identified.map(({ item, value }) => ({ entry: item, input: value })), refusedAtLoad };
  },
};
