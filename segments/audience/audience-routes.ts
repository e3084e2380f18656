import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { decodeChangesCursor, decodeMembersCursor, encodeChangesCursor, encodeMembersCursor } from './audience-cursor.js';
import { parseConsentList } from './consent-selection.js';
import { changesQuery, committedSegment, memberReply, membersQuery, segmentParams } from './audience-request.js';
import type { AudienceStore } from './audience-store.js';
import { InvalidCursorError } from './errors/invalid-cursor-error.js';
import { memberRecord } from './member-record.js';
import { parseTraitList } from './trait-selection.js';
import type { HashedTraitKeys } from './trait-hashing.js';

export interface AudienceRouteDeps {
  audience: AudienceStore;
  hashedTraitKeys: HashedTraitKeys;
}

export const AUDIENCE_TAGS = ['audiences'];

/**
 * `GET /v1/segments/:id/members` and `GET /v1/segments/:id/changes` (audience, read or admin key; an audience
 * key only for its segments). Members are listed by profile_id with a keyset cursor that also pins the
 * committed run the listing started at, so a run committing mid-way does not shift later pages. Changes are
 * listed by (seq, profile_id) from a cursor.
 */
export async function audienceRoutes(app: FastifyInstance, deps: AudienceRouteDeps): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/v1/segments/:id/members',
    {
      config: { scope: 'audience' },
      schema: {
        tags: AUDIENCE_TAGS,
        summary: "A segment's members",
        description: 'One page of the members of the last committed run, by profile_id; follow `next_cursor` until it is null (with the same `consent`). A listing stays on the run it started at.',
        params: segmentParams,
        querystring: membersQuery,
        response: { 200: success({ segment_id: z.string(), seq: z.number(), members: z.array(memberReply), next_cursor: z.string().nullable() }), ...failures(400, 404, 503) },
      },
    },
    async (request, reply) => {
      const store = deps.audience;
      const segmentId = request.params.id;
      const traits = parseTraitList(request.query.traits);
      const consent = parseConsentList(request.query.consent);
      const cursor = request.query.cursor === undefined ? undefined : decodeMembersCursor(request.query.cursor, segmentId);
      const state = await committedSegment(store, segmentId);
      const seq = cursor?.seq ?? state.committedSeq;
      if (seq > state.committedSeq) throw new InvalidCursorError(`the cursor is ahead of the segment's last committed run (${state.committedSeq})`);
      const limit = request.query.limit;
      // One row more than asked tells whether another page follows, without an empty last page.
      const rows = await store.members(segmentId, seq, cursor?.after ?? '', limit + 1, traits, consent);
      const page = rows.slice(0, limit);
      const out = { traits, hash: request.query.hash, keys: deps.hashedTraitKeys };
      return {
        success: true as const,
        segment_id: segmentId,
        seq,
        members: page.map((row) => memberRecord(row, out)),
        next_cursor: rows.length > limit ? encodeMembersCursor({ segmentId, seq, after: page[page.length - 1]!.profile_id }) : null,
      };
    },
  );

  typed.get(
    '/v1/segments/:id/changes',
    {
      config: { scope: 'audience' },
      schema: {
        tags: AUDIENCE_TAGS,
        summary: "A segment's entered and exited profiles",
        description: 'Changes of committed runs after `since`, by (seq, profile_id). Store `next_cursor` and call again with it; `has_more` means call again at once.',
        params: segmentParams,
        querystring: changesQuery,
        response: {
          200: success({
            segment_id: z.string(),
            committed_seq: z.number(),
            changes: z.array(z.object({ profile_id: z.string(), change: z.enum(['entered', 'exited']), seq: z.number(), as_of: z.string() })),
            next_cursor: z.string(),
            has_more: z.boolean(),
          }),
          ...failures(400, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const store = deps.audience;
      const segmentId = request.params.id;
      const from = request.query.since === undefined ? { seq: 0, profileId: '' } : decodeChangesCursor(request.query.since, segmentId);
      const state = await committedSegment(store, segmentId);
      const limit = request.query.limit;
      const rows = await store.changes(segmentId, state.committedSeq, from, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      // With nothing new the cursor stays where it was: a sync polls with next_cursor until changes appear.
      const next = last ? { segmentId, seq: last.seq, profileId: last.profile_id } : { segmentId, ...from };
      return {
        success: true as const,
        segment_id: segmentId,
        committed_seq: state.committedSeq,
        changes: page.map((r) => ({ profile_id: r.profile_id, change: r.change, seq: r.seq, as_of: new Date(r.as_of_ms).toISOString() })),
        next_cursor: encodeChangesCursor(next),
        has_more: rows.length > limit,
      };
    },
  );
}
