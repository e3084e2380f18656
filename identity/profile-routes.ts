import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { failures, success } from '../pipeline/core/reply-schemas.js';
import { NPS_GROUPS } from './feedback/nps-answers.js';
import { profileModelReply } from './profile-customer-model.js';
import type { Profile, ProfileStore } from './profile-store.js';

const TAGS = ['profiles'];

const profileIdParam = z.object({ profileId: z.string().min(1).max(256) });
const events = z.coerce.number().int().min(0).max(500).default(50).describe('how many recent events (0 to 500, default 50)');
const getQuery = z.object({ events });
const lookupQuery = z.object({
  type: z.string().min(1).max(64).describe('email, phone, user_id, anonymous_id, or an external id type'),
  value: z.string().min(1).max(1024),
  events,
});

const profileReply = z
  .object({
    profile_id: z.string(),
    requested_profile_id: z.string().optional().describe('the id asked for, when it was merged into profile_id'),
    identifiers: z.array(z.object({ type: z.string(), value: z.string() })),
    traits: z.record(z.string(), z.object({ value: z.string(), updated_at: z.string() })),
    merges: z.array(z.record(z.string(), z.unknown())),
    recent_events: z.array(z.record(z.string(), z.unknown())),
    consent: z
      .record(
        z.string(),
        z.object({
          granted: z.boolean(),
          stated_at: z.string().describe("the stating event's timestamp"),
          message_id: z.string().describe('the event that stated it'),
        }),
      )
      .describe('by category, the latest preference stated by an event (context.consent.categoryPreferences) of this profile or one merged into it; a category never stated is absent and counts as not granted'),
    nps_group: z.enum(NPS_GROUPS).nullable().describe("the group of the customer's latest NPS answer (Survey Responded, survey nps): promoter 9–10, passive 7–8, detractor 0–6; null without one"),
    open_complaints: z.number().describe('complaints the customer opened (Complaint Opened) that are open now'),
    computed_traits: z
      .record(
        z.string(),
        z
          .union([z.number(), z.string(), z.array(z.string())])
          .nullable()
          .describe('a number, text for first / last / most_frequent, a list for unique_list; with no matching event 0 for count and unique_count, [] for unique_list, null otherwise'),
      )
      .describe('every computed trait defined now, by id: its value in the latest traits snapshot'),
    computed_traits_as_of: z.string().nullable().describe('the traits snapshot the values come from; null before the traits job first ran'),
    lifecycle: z
      .object({
        stage: z.string().describe('prospect, new, active, at_risk or lost'),
        since: z.string().describe('when the profile entered the stage'),
        as_of: z.string(),
      })
      .nullable()
      .describe('the stage in the latest lifecycle snapshot; null when no snapshot holds the profile'),
    value_tier: z.string().nullable().describe('high_value, potential, ordinary or low, from the latest value-tier snapshot; null for prospects (no order) and before the job first ran'),
    value_tier_figures: z
      .object({
        historical_value: z.number().describe('net revenue of all orders up to as_of'),
        predicted_value: z.number().describe("the churn job's CLV standing at as_of"),
        as_of: z.string(),
      })
      .nullable()
      .describe('what the tier was drawn from; null when value_tier is'),
    loyalty: z
      .object({ level: z.string(), points: z.number().describe('the balance'), as_of: z.string() })
      .nullable()
      .describe('the level and points in the latest loyalty snapshot (GET /v1/profiles/:id/loyalty has the rest); null when it does not hold the profile'),
  })
  .meta({
    id: 'Profile',
    description: 'A stitched customer profile: identifiers, current traits, merges, recent events, consent, and where it stands in the customer model (computed traits, lifecycle stage, value tier, loyalty level)',
  });

const asReply = (profile: Profile) => ({ ...profile, ...profileModelReply(profile) });

/**
 * `GET /v1/profiles/:profileId`, `GET /v1/profiles/lookup?type=&value=` (read or admin key): identifiers,
 * current traits, merge history, recent events, consent, computed traits, lifecycle stage and value tier of a
 * stitched profile (a merged id answers its survivor's). `DELETE /v1/profiles/:profileId`
 * (admin key): the customer's right to erasure.
 */
export async function profileRoutes(app: FastifyInstance, deps: { profiles: ProfileStore }): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/v1/profiles/lookup',
    {
      config: { scope: 'read' },
      schema: { tags: TAGS, summary: 'Find a profile by an identifier', querystring: lookupQuery, response: { 200: profileReply, ...failures(400, 404, 503) } },
    },
    async (request, reply) => {
      const q = request.query;
      const profileId = await deps.profiles.lookup(q.type, q.value);
      const profile = profileId ? await deps.profiles.get(profileId, q.events) : undefined;
      if (!profile) return reply.code(404).send({ success: false, code: 'not_found', message: `no profile holds ${q.type} "${q.value}"` });
      return asReply(profile);
    },
  );

  typed.get(
    '/v1/profiles/:profileId',
    {
      config: { scope: 'read' },
      schema: {
        tags: TAGS,
        summary: 'Read a profile',
        description: 'A merged id answers with its survivor.',
        params: profileIdParam,
        querystring: getQuery,
        response: { 200: profileReply, ...failures(400, 404, 503) },
      },
    },
    async (request, reply) => {
      const profile = await deps.profiles.get(request.params.profileId, request.query.events);
      if (!profile) return reply.code(404).send({ success: false, code: 'not_found', message: `no profile ${request.params.profileId}` });
      return asReply(profile);
    },
  );

  typed.delete(
    '/v1/profiles/:profileId',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Delete a customer',
        description:
          "The customer's events (all merged ids), refused events, traits, consent, identities, what jobs and segments derived from them, and their events still in the load queue; their identifiers are suppressed from then on. Recorded without personal data.",
        params: profileIdParam,
        response: {
          200: success({
            deletion_id: z.string(),
            profiles: z.number(),
            identifiers: z.number(),
            queued_events: z.number(),
            queued_rejected: z.number(),
            unfinished_load_jobs: z.number().describe('load jobs still running when the wait ended: delete again once they are done'),
          }),
          ...failures(400, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const result = await deps.profiles.delete(request.params.profileId, request.keyName ?? 'unknown');
      if (!result) return reply.code(404).send({ success: false, code: 'not_found', message: `no profile ${request.params.profileId}` });
      request.log.info({ deletionId: result.deletion_id, profiles: result.profiles, identifiers: result.identifiers }, 'profile deleted');
      return { success: true as const, ...result };
    },
  );
}
