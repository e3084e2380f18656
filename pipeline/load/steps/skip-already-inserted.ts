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
 * insert that may have landed) has its events and refused items looked up in ClickHouse, and those already
 * there are skipped. Only such jobs pay for the look-up.
 */
export const skipAlreadyInserted: LoadStep<LoadBatch<ResolvedEvent>, LoadBatch<ResolvedEvent>> = {
  name: 'skip-already-inserted',
  async run(batch, ctx) {
    const seenBefore = (job: LoadableJob) => batch.mayBeLoaded || job.attemptsStarted > 1;
    if (!batch.jobs.some(seenBefore)) return batch;
    const present = await existing(ctx, 'events', 'message_id', batch.events.filter(({ entry }) => seenBefore(entry.job)).map(({ entry }) => entry.e.messageId));
    const events = batch.events.filter(({ entry }) => !seenBefore(entry.job) || !present.has(entry.e.messageId));
    const presentRefusals = await existing(ctx, 'rejected_events', 'rejection_id', batch.refusals.filter(({ job }) => seenBefore(job)).map(({ r }) => r.rejectionId));
    const refusals = batch.refusals.filter(({ r, job }) => !seenBefore(job) || !presentRefusals.has(r.rejectionId));
    return { ...batch, events, refusals };
  },
};
