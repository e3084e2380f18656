import type { FastifyInstance } from 'fastify';
import { audienceAccess } from './audience-access.js';
import type { KeyStore } from '../../pipeline/auth/key-store.js';
import { decodeChangesCursor, decodeMembersCursor, encodeChangesCursor, encodeMembersCursor } from './audience-cursor.js';
import { badRequest, changesQuery, invalid, membersQuery, segmentOr404, segmentParams } from './audience-request.js';
import type { AudienceStore } from './audience-store.js';
import { InvalidCursorError } from './errors/invalid-cursor-error.js';
import { InvalidTraitsError } from './errors/invalid-traits-error.js';
import { memberRecord } from './member-record.js';
import { parseTraitList } from './trait-selection.js';
import type { HashedTraitKeys } from './trait-hashing.js';

export interface AudienceRouteDeps {
  keys: KeyStore;
  audience: AudienceStore;
  hashedTraitKeys: HashedTraitKeys;
}

/**
 * `GET /v1/segments/:id/members` and `GET /v1/segments/:id/changes` (audience, read or admin key). Members are listed by
 * profile_id with a keyset cursor that also pins the committed run the listing started at, so a run
 * committing mid-way does not shift later pages. Changes are listed by (seq, profile_id) from a cursor.
 */
export async function audienceRoutes(app: FastifyInstance, deps: AudienceRouteDeps): Promise<void> {
  const read = audienceAccess(deps.keys);

  app.get('/v1/segments/:id/members', { preHandler: read }, async (request, reply) => {
    const p = segmentParams.safeParse(request.params);
    if (!p.success) return invalid(reply, p.error);
    const q = membersQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    const store = deps.audience;
    const segmentId = p.data.id;
    let traits: string[];
    let cursor: ReturnType<typeof decodeMembersCursor> | undefined;
    try {
      traits = parseTraitList(q.data.traits);
      cursor = q.data.cursor === undefined ? undefined : decodeMembersCursor(q.data.cursor, segmentId);
    } catch (err) {
      if (err instanceof InvalidTraitsError || err instanceof InvalidCursorError) return badRequest(reply, err.code, err.message);
      throw err;
    }
    const state = await segmentOr404(store, segmentId, reply);
    if (!state) return reply;
    const seq = cursor?.seq ?? state.committedSeq;
    if (seq > state.committedSeq) return badRequest(reply, 'invalid_cursor', `the cursor is ahead of the segment's last committed run (${state.committedSeq})`);
    const limit = q.data.limit;
    // One row more than asked tells whether another page follows, without an empty last page.
    const rows = await store.members(segmentId, seq, cursor?.after ?? '', limit + 1, traits);
    const page = rows.slice(0, limit);
    const out = { traits, hash: q.data.hash, keys: deps.hashedTraitKeys };
    return {
      success: true,
      segment_id: segmentId,
      seq,
      members: page.map((row) => memberRecord(row, out)),
      next_cursor: rows.length > limit ? encodeMembersCursor({ segmentId, seq, after: page[page.length - 1]!.profile_id }) : null,
    };
  });

  app.get('/v1/segments/:id/changes', { preHandler: read }, async (request, reply) => {
    const p = segmentParams.safeParse(request.params);
    if (!p.success) return invalid(reply, p.error);
    const q = changesQuery.safeParse(request.query);
    if (!q.success) return invalid(reply, q.error);
    const store = deps.audience;
    const segmentId = p.data.id;
    let from = { seq: 0, profileId: '' };
    if (q.data.since !== undefined) {
      try {
        from = decodeChangesCursor(q.data.since, segmentId);
      } catch (err) {
        if (err instanceof InvalidCursorError) return badRequest(reply, err.code, err.message);
        throw err;
      }
    }
    const state = await segmentOr404(store, segmentId, reply);
    if (!state) return reply;
    const limit = q.data.limit;
    const rows = await store.changes(segmentId, state.committedSeq, from, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    // With nothing new the cursor stays where it was: a sync polls with next_cursor until changes appear.
    const next = last ? { segmentId, seq: last.seq, profileId: last.profile_id } : { segmentId, ...from };
    return {
      success: true,
      segment_id: segmentId,
      committed_seq: state.committedSeq,
      changes: page.map((r) => ({ profile_id: r.profile_id, change: r.change, seq: r.seq, as_of: new Date(r.as_of_ms).toISOString() })),
      next_cursor: encodeChangesCursor(next),
      has_more: rows.length > limit,
    };
  });
}
