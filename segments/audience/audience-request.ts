import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AudienceStore, SegmentState } from './audience-store.js';
import { AudienceSegmentNotFoundError } from './errors/audience-segment-not-found-error.js';
import { HASHES } from './trait-hashing.js';

// The audience API's parameters, and its answers, as zod schemas (the routes' schemas).

export const segmentParams = z.object({ id: z.string().min(1).max(256).describe('the segment id') });

export const MEMBERS_DEFAULT_LIMIT = 1000;
export const MEMBERS_MAX_LIMIT = 10_000;

const limit = (max: number, byDefault: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(z.number().min(1, `must be from 1 to ${max}`).max(max, `must be from 1 to ${max}`))
    .optional()
    .transform((v) => v ?? byDefault)
    .describe(`1 to ${max}, default ${byDefault}`);

const hash = z.enum(HASHES, { error: `must be ${HASHES.join(' or ')}` }).optional().describe('sha256: email and phone traits as the SHA-256 of their normalised value');
const traits = z.string().optional().describe('comma-separated trait names to add to each member (at most 50); the id of a computed trait adds that trait; `recommendations` the recommended product ids in rank order; `loyalty_level` and `loyalty_points` the loyalty level and points balance');
const consent = z
  .string()
  .optional()
  .describe("comma-separated consent categories (at most 20): only members who granted every one, by their latest statement up to the run's as_of (no statement: not granted)");

export const membersQuery = z.strictObject({
  cursor: z.string().optional().describe('next_cursor of the previous page'),
  limit: limit(MEMBERS_MAX_LIMIT, MEMBERS_DEFAULT_LIMIT),
  traits,
  hash,
  consent,
});

export const changesQuery = z.strictObject({
  since: z.string().optional().describe('next_cursor of the previous call; without it, from the first run'),
  limit: limit(MEMBERS_MAX_LIMIT, MEMBERS_DEFAULT_LIMIT),
});

export const exportQuery = z.strictObject({
  format: z
    .enum(['csv', 'ndjson'], { error: 'must be csv or ndjson' })
    .optional()
    .transform((v) => v ?? 'csv')
    .describe('csv (default) or ndjson'),
  traits,
  hash,
  consent,
});

export const memberReply = z.object({
  profile_id: z.string(),
  since: z.string().describe('when the profile last entered'),
  traits: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.string())]).nullable()).describe('profile traits as text; computed traits as numbers, text or lists'),
});

/** The segment's committed state; a segment unknown or deleted is 404 `segment_not_found`. */
export async function committedSegment(store: AudienceStore, segmentId: string): Promise<SegmentState> {
  const state = await store.segment(segmentId);
  if (!state) throw new AudienceSegmentNotFoundError(segmentId);
  return state;
}
