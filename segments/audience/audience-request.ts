import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AudienceStore, SegmentState } from './audience-store.js';
import { HASHES } from './trait-hashing.js';

export const segmentParams = z.object({ id: z.string().min(1).max(256) });

export const MEMBERS_DEFAULT_LIMIT = 1000;
export const MEMBERS_MAX_LIMIT = 10_000;

const limit = (max: number, byDefault: number) =>
  z.string().regex(/^\d+$/, `must be a whole number from 1 to ${max}`).transform(Number).pipe(z.number().min(1, `must be from 1 to ${max}`).max(max, `must be from 1 to ${max}`)).optional().transform((v) => v ?? byDefault);

const hash = z.enum(HASHES, { error: `must be ${HASHES.join(' or ')}` }).optional();

export const membersQuery = z.strictObject({
  cursor: z.string().optional(),
  limit: limit(MEMBERS_MAX_LIMIT, MEMBERS_DEFAULT_LIMIT),
  traits: z.string().optional(),
  hash,
});

export const changesQuery = z.strictObject({
  since: z.string().optional(),
  limit: limit(MEMBERS_MAX_LIMIT, MEMBERS_DEFAULT_LIMIT),
});

export const exportQuery = z.strictObject({
  format: z.enum(['csv', 'ndjson'], { error: 'must be csv or ndjson' }).optional().transform((v) => v ?? 'csv'),
  traits: z.string().optional(),
  hash,
});

export function invalid(reply: FastifyReply, error: z.ZodError) {
  const message = error.issues.map((i) => (i.code === 'unrecognized_keys' ? `unknown parameter(s) ${i.keys.join(', ')}` : `${i.path.join('.')}: ${i.message}`)).join('; ');
  return reply.code(400).send({ success: false, code: 'invalid_request', message });
}

export function badRequest(reply: FastifyReply, code: string, message: string) {
  return reply.code(400).send({ success: false, code, message });
}

/** The segment's committed state, or a 404 sent. */
export async function segmentOr404(store: AudienceStore, segmentId: string, reply: FastifyReply): Promise<SegmentState | undefined> {
  const state = await store.segment(segmentId);
  if (!state) await reply.code(404).send({ success: false, code: 'segment_not_found', message: `no segment "${segmentId}" (unknown or deleted)` });
  return state;
}
