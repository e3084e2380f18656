import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { IdentityRules } from '../../identity/identifiers.js';
import { rejectedRow, type RejectedRow } from './event-row.js';
import type { QueuedEvent } from './load-batch.js';
import { LOAD_REJECTION_REASON, loadRejection } from './load-rejection.js';

/** An event that cannot load (its own fault): counted, logged, and made into its rejected_events row; the rest loads. */
export function refuseAtLoad(ctx: { metrics: Metrics; log: Logger; identityRules: IdentityRules }, entry: QueuedEvent, err: unknown): RejectedRow {
  ctx.metrics.rejectedEvents.inc({ reason: LOAD_REJECTION_REASON });
  ctx.log.warn({ messageId: entry.e.messageId, sourceId: entry.e.sourceId, jobId: entry.job.id, err: (err as Error).message }, 'event refused at load');
  return rejectedRow(loadRejection(entry.e, err, ctx.identityRules));
}
