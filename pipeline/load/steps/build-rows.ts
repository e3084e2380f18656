import { consentRows } from '../../../identity/consent/consent-rows.js';
import { identityRows } from '../../../identity/identity-rows.js';
import { eventRow, rejectedRow, violationRows } from '../event-row.js';
import { eachIsolated } from '../isolate-faults.js';
import type { LoadBatch, PreparedBatch, ResolvedEvent } from '../load-batch.js';
import { refuseAtLoad } from '../refuse-at-load.js';
import type { LoadStep } from '../step-runner.js';

/**
 * The ClickHouse rows: each event's row with its profile, the identity rows of its resolution, the rows of
 * its tracking plan's violations and of the consent it states (an event this throws for, one without a
 * context say, is refused), then the refused items' rows and the rows of the events refused at load.
 */
export const buildRows: LoadStep<LoadBatch<ResolvedEvent>, PreparedBatch> = {
  name: 'build-rows',
  async run(batch, ctx) {
    const refusedAtLoad = [...batch.refusedAtLoad];
    const built = eachIsolated(
      batch.events,
      ({ entry, resolution, consentLoaded }) => ({
        event: eventRow(entry.e, resolution.profileId),
        identity: identityRows([entry.e], [resolution]),
        violations: violationRows(entry.e, resolution.profileId),
        consent: consentLoaded ? [] : consentRows(entry.e, resolution.profileId),
      }),
      ({ entry }, err) => refusedAtLoad.push(refuseAtLoad(ctx, entry, err)),
    );
    return {
      jobs: batch.jobs,
      rows: built.map(({ item, value }) => ({ entry: item.entry, ...value })),
      rejectedRows: [...batch.refusals.map(({ r }) => rejectedRow(r)), ...refusedAtLoad],
      duplicates: batch.duplicates,
      suppressed: batch.suppressed,
      alreadyLoaded: batch.alreadyLoaded,
    };
  },
};
