import { createHash } from 'node:crypto';
import type { IdentityRules } from '../../identity/identifiers.js';
import { refusedIdentifiers } from '../../identity/refused-identifiers.js';
import type { EnrichedEvent, RejectedEvent } from '../core/load-job.js';
import { rejectedPayload } from '../core/rejected-payload.js';
import { rowFaultCode } from './row-fault.js';

/** The metrics' reason (a label: one value) of an accepted event that ClickHouse or the identity script would not take. */
export const LOAD_REJECTION_REASON = 'load_failed';

/** The route recorded for events refused at load rather than by the tracking API. */
export const LOAD_ROUTE = 'load';

/**
 * The rejected_events record of an event refused at load: route `load`, the database's (or script's) error as
 * its reason (`CODE: first line of the message`) and, whole, in its errors. Its id is derived from the message,
 * so a job retried after a crash keeps one record, not two.
 */
export function loadRejection(e: EnrichedEvent, err: unknown, rules: IdentityRules): RejectedEvent {
  const code = rowFaultCode(err);
  const message = String((err as Error)?.message ?? err);
  return {
    rejectionId: `load-${createHash('sha1').update(e.sourceId).update('\n').update(e.messageId).digest('hex')}`,
    receivedAt: e.receivedAt,
    sourceId: e.sourceId,
    requestId: '',
    route: LOAD_ROUTE,
    index: 0,
    reason: `${code}: ${message.split('\n')[0]!.trim()}`.slice(0, 300),
    errors: [{ path: '', code, message: message.slice(0, 2000) }],
    payload: rejectedPayload(e),
    // The event may be malformed in any part: nothing of it is trusted here.
    ip: typeof e.context?.ip === 'string' ? e.context.ip : '',
    // So that deleting the customer finds it, as it finds the events refused at the door.
    identifiers: refusedIdentifiers(e, rules),
  };
}
