import { statedConsent } from '../../../identity/consent/consent-preferences.js';
import type { LoadableJob, LoadBatch, ResolvedEvent } from '../load-batch.js';
import type { LoadStep, StepContext } from '../step-runner.js';

async function existing({ clickhouse, database }: StepContext, table: string, column: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rs = await clickhouse.query({
    query: `SELECT ${column} AS id FROM ${database}.${table} WHERE ${column} IN {ids:Array(String)}`,
    query_params: { ids },
    format: 'JSONEachRow',
  });
  return new Set((await rs.json<{ id: string }>()).map((r) => r.id));
}

/**
 * A job seen before (its worker died between insert and completion, or an earlier attempt failed after an
 * insert that may have landed) has its events, their tracking plan violations, the consent they state and its
 * refused items looked up in ClickHouse, and those already there are skipped (kept aside as already loaded, for
 * the destinations). Only such jobs pay for the look-up.
 */
export const skipAlreadyInserted: LoadStep<LoadBatch<ResolvedEvent>, LoadBatch<ResolvedEvent>> = {
  name: 'skip-already-inserted',
  async run(batch, ctx) {
    const seenBefore = (job: LoadableJob) => batch.mayBeLoaded || job.attemptsStarted > 1;
    if (!batch.jobs.some(seenBefore)) return batch;
    const present = await existing(ctx, 'events', 'message_id', batch.events.filter(({ entry }) => seenBefore(entry.job)).map(({ entry }) => entry.e.messageId));
    const isIn = ({ entry }: ResolvedEvent) => seenBefore(entry.job) && present.has(entry.e.messageId);
    const kept = batch.events.filter((r) => !isIn(r));
    // Violations go in before their event (insert-batch.ts): an event not in yet may have its violations in.
    const withViolations = kept.filter(({ entry }) => seenBefore(entry.job) && entry.e.planViolations);
    const violationsIn = await existing(ctx, 'tracking_violations', 'message_id', withViolations.map(({ entry }) => entry.e.messageId));
    const events = violationsIn.size === 0 ? kept : kept.map((r) => (seenBefore(r.entry.job) && violationsIn.has(r.entry.e.messageId) ? { ...r, entry: { ...r.entry, e: { ...r.entry.e, planViolations: undefined } } } : r));
    // Consent too goes in before its event.
    const stating = events.filter(({ entry }) => seenBefore(entry.job) && statedConsent(entry.e.context));
    const consentIn = await existing(ctx, 'profile_consent', 'message_id', stating.map(({ entry }) => entry.e.messageId));
    const withConsent = consentIn.size === 0 ? events : events.map((r) => (seenBefore(r.entry.job) && consentIn.has(r.entry.e.messageId) ? { ...r, consentLoaded: true } : r));
    const presentRefusals = await existing(ctx, 'rejected_events', 'rejection_id', batch.refusals.filter(({ job }) => seenBefore(job)).map(({ r }) => r.rejectionId));
    const refusals = batch.refusals.filter(({ r, job }) => !seenBefore(job) || !presentRefusals.has(r.rejectionId));
    // Their earlier attempt may have died before sending them to the destinations: they still go out.
    return { ...batch, events: withConsent, refusals, alreadyLoaded: [...batch.alreadyLoaded, ...batch.events.filter(isIn)] };
  },
};
