import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { failures, file } from '../../pipeline/core/reply-schemas.js';
import { exportChunks } from './audience-export.js';
import { committedSegment, exportQuery, segmentParams } from './audience-request.js';
import { AUDIENCE_TAGS, type AudienceRouteDeps } from './audience-routes.js';
import { parseConsentList } from './consent-selection.js';
import { parseTraitList } from './trait-selection.js';

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson; charset=utf-8' } as const;

/**
 * `GET /v1/segments/:id/export?format=csv|ndjson&traits=&hash=&consent=` (audience, read or admin key): every member of the
 * segment's last committed run (who granted the `consent` categories), streamed. The run is named in `x-cdp-segment-seq`. A failure part-way
 * aborts the response, so a client never mistakes a partial file for a complete one.
 */
export async function audienceExportRoute(app: FastifyInstance, deps: AudienceRouteDeps): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/segments/:id/export',
    {
      config: { scope: 'audience' },
      schema: {
        tags: AUDIENCE_TAGS,
        summary: "Export a segment's members",
        description: 'Every member of the last committed run, streamed as CSV (header `profile_id,since,<traits>`) or NDJSON (one member per line); `x-cdp-segment-seq` names the run.',
        params: segmentParams,
        querystring: exportQuery,
        response: {
          200: file('The members, as a file (content-disposition: attachment)', 'text/csv', 'application/x-ndjson'),
          ...failures(400, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const store = deps.audience;
      const traits = parseTraitList(request.query.traits);
      const consent = parseConsentList(request.query.consent);
      const segmentId = request.params.id;
      const state = await committedSegment(store, segmentId);
      const format = request.query.format;
      const seq = state.committedSeq;
      const chunks = exportChunks(store, segmentId, seq, format, consent, { traits, hash: request.query.hash, keys: deps.hashedTraitKeys });
      // Byte mode with a small high-water mark: a page is pulled only once the previous one is on its way.
      const body = Readable.from(chunks, { objectMode: false, highWaterMark: 64 * 1024 });
      body.on('error', (err) => request.log.error({ err, segmentId, seq }, 'segment export failed part-way; response aborted'));
      const fileName = `segment-${segmentId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${seq}.${format}`;
      return reply
        .header('content-type', CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .header('x-cdp-segment-seq', String(seq))
        .send(body);
    },
  );
}
