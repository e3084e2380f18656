import type { LoadBatch, QueuedEvent } from '../load-batch.js';
import type { LoadStep } from '../step-runner.js';

/**
 * Drops repeats of a message (per source) seen within the dedupe window, claiming each message for the job
 * that carries it (pipeline/load/message-dedupe.ts): a retried job is not a duplicate of itself.
 */
export const dedupeMessages: LoadStep<LoadBatch<QueuedEvent>, LoadBatch<QueuedEvent>> = {
  name: 'dedupe-messages',
  async run(batch, { dedupe }) {
    const repeated = await dedupe.duplicates(batch.events.map(({ e, job }) => ({ sourceId: e.sourceId, messageId: e.messageId, owner: String(job.id) })));
    const events = batch.events.filter((_, i) => !repeated[i]);
    return { ...batch, events, duplicates: batch.duplicates + batch.events.length - events.length };
  },
};
