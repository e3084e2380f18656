import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { failures } from '../../pipeline/core/reply-schemas.js';
import { ProfileNotFoundError } from '../errors/profile-not-found-error.js';
import type { RecommendationReader } from './recommendation-reader.js';

const TAGS = ['profiles'];

const params = z.strictObject({ profileId: z.string().min(1).max(256) });
const query = z.strictObject({});

const reply = z
  .object({
    profile_id: z.string(),
    requested_profile_id: z.string().optional().describe('the id asked for, when it was merged into profile_id'),
    as_of: z.string().nullable().describe('the recommendations snapshot read (the latest successful run); null before the job first ran'),
    recommendations: z
      .array(
        z.object({
          rank: z.number().describe('1 first'),
          product_id: z.string(),
          score: z.number().describe('the sum of the item-to-item scores of the evidence; for popular, the share of buyers who bought it'),
          reason: z.string().describe('bought_with:<product_id> or viewed:<product_id> (the strongest evidence), or popular'),
        }),
      )
      .describe('at most RECOMMENDATIONS_PER_PROFILE products the customer has not bought; [] when the snapshot does not hold the customer'),
  })
  .meta({ id: 'ProfileRecommendations', description: "A customer's product recommendations from the latest recommendations snapshot" });

/** `GET /v1/profiles/:profileId/recommendations` (read key): a merged id answers its survivor's list. */
export async function recommendationRoutes(app: FastifyInstance, deps: { read: RecommendationReader }): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/profiles/:profileId/recommendations',
    {
      config: { scope: 'read' },
      schema: {
        tags: TAGS,
        summary: "Read a customer's product recommendations",
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
}
