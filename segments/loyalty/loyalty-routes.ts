import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ProfileEventDeps } from '../../ingest/profile-event.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { ProfileNotFoundError } from '../errors/profile-not-found-error.js';
import type { LoyaltyReader } from './loyalty-reader.js';
import { adjustPoints } from './points-adjustment.js';

const TAGS = ['profiles'];

const params = z.strictObject({ profileId: z.string().min(1).max(256) });
const query = z.strictObject({});

const entry = z.object({
  entry_id: z.string().describe('earn:<order_id>, refund:<order_id>:<message_id>, bonus|redeem|adjust:<message_id>, expire:<entry_id of the points>'),
  kind: z.string().describe('earn, refund, bonus, redeem, adjust or expire'),
  points: z.number().describe('signed'),
  status: z.string().describe('applied, or rejected: a redemption beyond the balance, not applied'),
  occurred_at: z.string(),
  expires_at: z.string().nullable().describe('for positive entries: the end of the local day LOYALTY_EXPIRY_MONTHS after'),
  order_id: z.string(),
  message_id: z.string(),
  reason: z.string().describe("an adjustment's reason"),
});

const reply = z
  .object({
    profile_id: z.string(),
    requested_profile_id: z.string().optional().describe('the id asked for, when it was merged into profile_id'),
    as_of: z.string().nullable().describe('the loyalty snapshot read (the latest successful run); null before the job first ran'),
    level: z.string().describe('the lowest level when the snapshot does not hold the customer'),
    level_since: z.string().nullable().describe('the latest change of level; null: never changed from the lowest'),
    points: z.number().describe('the balance: the sum of the applied ledger entries (may be below 0 after a refund)'),
    window_spend: z.number().describe('net spend within LOYALTY_LEVEL_WINDOW_DAYS, which makes the level'),
    expiring: z.array(z.object({ points: z.number(), on: z.string().describe('the local day (YYYY-MM-DD) at whose end they expire') })).describe('the unspent points, by the day they expire, soonest first'),
    points_expiring_30d: z.number().describe('the points expiring within 30 days of as_of'),
    next_level: z.object({ name: z.string(), spend_needed: z.number() }).nullable().describe('null at the highest level'),
    history: z.array(entry).describe('the latest 50 ledger entries, newest first'),
  })
  .meta({ id: 'ProfileLoyalty', description: "A customer's loyalty standing and ledger from the latest loyalty snapshot" });

const adjustmentBody = z.strictObject({
  id: z.string().min(1).max(128).regex(/^[\w.:-]+$/, 'letters, digits, _ . : -').describe('your id of the adjustment: posting the same id again changes nothing'),
  points: z.number().int().min(-1_000_000_000).max(1_000_000_000).refine((p) => p !== 0, 'must not be 0').describe('signed: added to or taken from the balance'),
  reason: z.string().min(1).max(500),
});

/**
 * `GET /v1/profiles/:profileId/loyalty` (read key) and `POST /v1/profiles/:profileId/loyalty/adjustments`
 * (admin): a merged id answers and acts on its survivor.
 */
export async function loyaltyRoutes(app: FastifyInstance, deps: { read: LoyaltyReader; events: ProfileEventDeps }): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/v1/profiles/:profileId/loyalty',
    {
      config: { scope: 'read' },
      schema: {
        tags: TAGS,
        summary: "Read a customer's loyalty level, points and ledger",
        description: 'A merged id answers with its survivor.',
        params,
        querystring: query,
        response: { 200: reply, ...failures(400, 404, 503) },
      },
    },
    async (request) => {
      const found = await deps.read.forProfile(request.params.profileId);
      if (!found) throw new ProfileNotFoundError(request.params.profileId);
      return found;
    },
  );
  typed.post(
    '/v1/profiles/:profileId/loyalty/adjustments',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: "Adjust a customer's loyalty points",
        description:
          'Recorded as a `Points Adjusted` event of source cdp, so every rebuild of the ledger finds it; it counts from the next `loyalty` run. The same id posted again counts once. A merged id acts on its survivor.',
        params,
        body: adjustmentBody,
        response: { 202: success({ profile_id: z.string(), id: z.string(), message_id: z.string() }), ...failures(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const profileId = await deps.read.survivor(request.params.profileId);
      if (profileId === undefined) throw new ProfileNotFoundError(request.params.profileId);
      const messageId = await adjustPoints(deps.events, profileId, request.body);
      return reply.code(202).send({ success: true as const, profile_id: profileId, id: request.body.id, message_id: messageId });
    },
  );
}
