import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SqlRunner } from '../../pipeline/clickhouse/sql-runner.js';
import type { Config } from '../../pipeline/core/config.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { resourceId } from '../../pipeline/core/resource-id.js';
import { resourceWrites } from '../../pipeline/core/resource-routes.js';
import { requestIssues } from '../../pipeline/core/route-schemas.js';
import { problemsOf } from '../definition/definition-problems.js';
import { InvalidTraitError } from './errors/invalid-trait-error.js';
import { TraitNotFoundError } from './errors/trait-not-found-error.js';
import { previewTrait } from './trait-preview.js';
import { TRAIT_KINDS, checkDefinitionFields, definitionFields, definitionOf, traitDefinition, traitInput } from './trait-definition.js';
import type { TraitStore } from './trait-store.js';

export interface TraitRouteDeps {
  config: Config;
  store: TraitStore;
  /** The read-only SQL connection (readonly, with the SQL console's limits): previews run there. */
  sql: SqlRunner;
}

export const TRAIT_TAGS = ['computed traits'];

const idParams = z.object({ id: resourceId });
const asOf = z.iso.datetime({ offset: true, error: 'as_of must be an ISO 8601 date-time with an offset, e.g. 2026-11-01T00:00:00Z' }).describe('default: now');
const previewFor = {
  profile_id: z.string().trim().min(1).max(256).describe('a profile id; a merged one is answered for its surviving profile'),
  as_of: asOf.optional(),
};
// The definition under `definition`, or its fields beside profile_id (as a PUT body would carry them).
const previewBody = z.union([z.strictObject({ definition: traitDefinition, ...previewFor }), z.strictObject({ ...definitionFields, ...previewFor }).superRefine(checkDefinitionFields)]);

const value = z.union([z.number(), z.string(), z.array(z.string())]).nullable();
const traitReply = z
  .object({
    id: z.string(),
    version: z.number().describe('every change stores a new version'),
    name: z.string(),
    kind: z.enum(TRAIT_KINDS),
    call: z.string(),
    event: z.string().optional(),
    page_name: z.string().optional(),
    property: z.string().optional(),
    where: z.array(z.unknown()).optional(),
    window: z.unknown().optional(),
    created_at: z.string(),
    created_by: z.string(),
  })
  .meta({ id: 'ComputedTrait', description: 'A computed trait: one value per customer, aggregated from the events it matches by the `traits` job' });

/** A request that does not fit the routes' schemas, answered as an invalid definition: 400 with `problems` by path. */
function invalidTrait(errors: FastifySchemaValidationError[]): InvalidTraitError {
  return new InvalidTraitError(problemsOf(requestIssues(errors)));
}

/**
 * Computed traits: `GET /v1/computed-traits`, `POST /v1/computed-traits`, `PUT|GET|DELETE
 * /v1/computed-traits/:id`, `GET /v1/computed-traits/:id/versions`, and `POST /v1/computed-traits/preview` (a definition's value for one customer,
 * now, with its SQL). Reading and previewing take a read key; writing an admin key. A request that does not
 * fit is 400 `CDP_TRAIT_INVALID` with `problems`.
 */
export async function traitRoutes(app: FastifyInstance, deps: TraitRouteDeps): Promise<void> {
  const { store, config } = deps;
  const typed = app.withTypeProvider<ZodTypeProvider>();
  app.setSchemaErrorFormatter(invalidTrait);

  typed.get(
    '/v1/computed-traits',
    {
      config: { scope: 'read' },
      schema: { tags: TRAIT_TAGS, summary: 'List computed traits', description: 'Every computed trait, current version.', response: { 200: success({ traits: z.array(traitReply) }) } },
    },
    async () => ({ success: true as const, traits: await store.list() }),
  );

  resourceWrites(app, {
    path: '/v1/computed-traits',
    kind: 'trait',
    tags: TRAIT_TAGS,
    id: resourceId,
    input: traitInput,
    reply: traitReply,
    mismatch: (bodyId, id) => new InvalidTraitError([{ path: 'id', message: `the body's id "${bodyId}" is not the computed trait being edited ("${id}")` }]),
    newId: () => `trait_${randomBytes(6).toString('hex')}`,
    create: (id, input, request) => store.create(id, input, request.keyName ?? 'admin'),
    put: async (id, input, request) => {
      const { trait, created } = await store.put(id, input, request.keyName ?? 'admin');
      return { resource: trait, created };
    },
  });

  typed.post(
    '/v1/computed-traits/preview',
    {
      config: { scope: 'read' },
      schema: {
        tags: TRAIT_TAGS,
        summary: "Preview a computed trait's value for one customer",
        description:
          "The definition's value for the customer's surviving profile (all merged ids), computed now as of `as_of`, with the SQL the `traits` job runs for it (narrowed to the customer's ids). Nothing is saved.",
        body: previewBody,
        response: {
          200: success({
            profile_id: z.string().describe('the surviving profile'),
            requested_profile_id: z.string().optional().describe('the id asked for, when it was merged into profile_id'),
            value: value.describe('a number (count, sum, avg, min, max, unique_count, days_since_*), text (first, last, most_frequent) or a list (unique_list); no matching event: 0 for count and unique_count, [] for unique_list, null otherwise'),
            as_of: z.string(),
            sql: z.string(),
            params: z.record(z.string(), z.unknown()),
          }),
          ...failures(400, 404),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const { profile_id, as_of } = body;
      const definition = 'definition' in body ? body.definition : definitionOf(body);
      const preview = await previewTrait({ sql: deps.sql, database: config.CLICKHOUSE_DATABASE, timeZone: config.SEGMENTS_TIME_ZONE }, definition, profile_id, as_of ? Date.parse(as_of) : Date.now());
      return { success: true as const, ...preview };
    },
  );

  typed.get(
    '/v1/computed-traits/:id',
    {
      config: { scope: 'read' },
      schema: { tags: TRAIT_TAGS, summary: 'Read a computed trait', description: 'The current version.', params: idParams, response: { 200: success({ trait: traitReply }), ...failures(400, 404) } },
    },
    async (request) => {
      const trait = await store.get(request.params.id);
      if (!trait) throw new TraitNotFoundError(request.params.id);
      return { success: true as const, trait };
    },
  );

  typed.get(
    '/v1/computed-traits/:id/versions',
    {
      config: { scope: 'read' },
      schema: { tags: TRAIT_TAGS, summary: "A computed trait's versions", description: 'Every version, newest first.', params: idParams, response: { 200: success({ versions: z.array(traitReply) }), ...failures(400, 404) } },
    },
    async (request) => {
      const versions = await store.versions(request.params.id);
      if (versions.length === 0) throw new TraitNotFoundError(request.params.id);
      return { success: true as const, versions };
    },
  );

  typed.delete(
    '/v1/computed-traits/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TRAIT_TAGS,
        summary: 'Delete a computed trait',
        description: 'Refused (400) while a segment uses it. Its values leave computed_traits_current at once; the snapshots keep them.',
        params: idParams,
        response: { 200: success({ deleted: z.string() }), ...failures(400, 404) },
      },
    },
    async (request) => {
      if (!(await store.remove(request.params.id, request.keyName ?? 'admin'))) throw new TraitNotFoundError(request.params.id);
      return { success: true as const, deleted: request.params.id };
    },
  );
}
