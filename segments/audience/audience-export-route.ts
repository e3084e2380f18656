import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { audienceAccess } from './audience-access.js';
import { exportChunks } from './audience-export.js';
import { badRequest, exportQuery, invalid, segmentOr404, segmentParams } from './audience-request.js';
import type { AudienceRouteDeps } from './audience-routes.js';
import { InvalidTraitsError } from './errors/invalid-traits-error.js';
import { parseTraitList } from './trait-selection.js';

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson; charset=utf-8' } as const;

/**
 * `GET /v1/segments/:id/export?format=csv|ndjson&traits=&hash=` (audience, read or admin key): every member of the
 * segment's last committed run, streamed. The run is named in `x-cdp-segment-seq`. A failure part-way
 * aborts the response, so a client never mistakes a partial file for a complete one.
 */
export async function audienceExportRoute(app: FastifyInstance, deps: AudienceRouteDeps): Promise<void> {
  app.get('/v1/segments/:id/export', { preHandler: audienceAccess(deps.keys) }, async (request, reply) => {
    const p = segmentParams.safeParse(request.params);
    if (!p.success) return invalid(reply, p.error);
    const q = exportQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    const store = deps.audience;
    let traits: string[];
    try {
      traits = parseTraitList(q.data.traits);
    } catch (err) {
      if (err instanceof InvalidTraitsError) return badRequest(reply, err.code, err.message);
      throw err;
    }
    const segmentId = p.data.id;
    const state = await segmentOr404(store, segmentId, reply);
    if (!state) return reply;
    const format = q.data.format;
    const seq = state.committedSeq;
    const chunks = exportChunks(store, segmentId, seq, format, { traits, hash: q.data.hash, keys: deps.hashedTraitKeys });
    // Byte mode with a small high-water mark: a page is pulled only once the previous one is on its way.
    const body = Readable.from(chunks, { objectMode: false, highWaterMark: 64 * 1024 });
    body.on('error', (err) => request.log.error({ err, segmentId, seq }, 'segment export failed part-way; response aborted'));
    const fileName = `segment-${segmentId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${seq}.${format}`;
    return reply
      .header('content-type', CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="${fileName}"`)
      .header('x-cdp-segment-seq', String(seq))
      .send(body);
  });
}
