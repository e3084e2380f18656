import type { AudienceStore, MemberRow } from './audience-store.js';
import { csvLine } from './csv.js';
import { csvValue, memberRecord, type TraitOutput } from './member-record.js';

export const EXPORT_PAGE_ROWS = 50_000;
export type ExportFormat = 'csv' | 'ndjson';

/**
 * The export body, one chunk per page of members (who granted every `consent` category) read by keyset from the snapshot `seq`. The next page is
 * fetched while the current one is written, and no further page is read until the consumer pulls (a
 * Readable built on this generator stops pulling when the socket is full): memory holds two pages at most,
 * whatever the audience size.
 */
export async function* exportChunks(store: AudienceStore, segmentId: string, seq: number, format: ExportFormat, consent: readonly string[], out: TraitOutput, pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<string> {
  if (format === 'csv') yield csvLine(['profile_id', 'since', ...out.traits]);
  const fetchAfter = (after: string) => store.members(segmentId, seq, after, pageRows, out.traits, consent);
  let next: Promise<MemberRow[]> | undefined = fetchAfter('');
  while (next) {
    const page: MemberRow[] = await next;
    next = page.length === pageRows ? fetchAfter(page[page.length - 1]!.profile_id) : undefined;
    // A consumer that stops early leaves the prefetch pending; its failure must not be unhandled.
    next?.catch(() => undefined);
    let chunk = '';
    for (const row of page) {
      const record = memberRecord(row, out);
      chunk += format === 'csv' ? csvLine([record.profile_id, record.since, ...out.traits.map((t) => csvValue(record.traits[t] ?? null))]) : `${JSON.stringify(record)}\n`;
    }
    if (chunk) yield chunk;
  }
}
