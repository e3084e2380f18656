import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { failures, success } from '../pipeline/core/reply-schemas.js';
import { resourceId } from '../pipeline/core/resource-id.js';
import { resourceWrites } from '../pipeline/core/resource-routes.js';
import { requestIssues } from '../pipeline/core/route-schemas.js';
import { problemsOf } from '../segments/definition/definition-problems.js';
import { checkDefinition, type DefinitionLookups } from './definition-check.js';
import { InvalidJourneyError } from './errors/invalid-journey-error.js';
import { JourneyNotFoundError } from './errors/journey-not-found-error.js';
import { journeyInput, nextSteps, type JourneyDefinition, type JourneyEntry, type JourneyInput } from './journey-definition.js';
import { journeyStats, stepOrder } from './journey-stats.js';
import type { Journey, JourneyStore } from './journey-store.js';

export interface JourneyRouteDeps {
  store: JourneyStore;
  lookups: DefinitionLookups;
  /** After a write or a deletion: the journey's date-entry schedule follows its definition (none when undefined). */
  schedule(journeyId: string, entry: JourneyEntry | undefined): Promise<void>;
  /** Ends a deleted journey's instances; answers how many. */
  endAll(journeyId: string, reason: string): Promise<number>;
  activeCount(journeyId: string): Promise<number>;
  clickhouse: ClickHouseClient;
  database: string;
}

export const JOURNEY_TAGS = ['journeys'];

const idParams = z.object({ id: resourceId });
const journeyReply = z
  .object({
    id: z.string(),
    version: z.number().describe('every change of the definition stores a new version; instances finish on the one they entered with'),
    paused: z.boolean().describe('paused: no new entries; instances already in go on'),
    name: z.string(),
    entry: z.unknown(),
    re_entry: z.unknown(),
    exit_on: z.unknown().optional(),
    goal: z.unknown().optional(),
    start: z.string(),
    steps: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    created_by: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Journey', description: 'A journey: how profiles enter, its steps, its exit and goal, and its state' });
const statsReply = z.object({
  journey_id: z.string(),
  entered: z.number(),
  active: z.number().describe('instances in the journey now'),
  exited: z.number(),
  reached_goal: z.number(),
  goal_rate: z.number().describe('reached_goal / entered'),
  steps: z.array(z.object({ step: z.string(), reached: z.number() })).describe('each step of the current version, from start, with how often instances reached it (any version)'),
  sent: z.number(),
  suppressed: z.record(z.string(), z.number()).describe('suppressed sends by reason'),
  failed: z.record(z.string(), z.number()).describe('failed sends by reason'),
});

function invalidJourney(errors: FastifySchemaValidationError[]): InvalidJourneyError {
  return new InvalidJourneyError(problemsOf(requestIssues(errors)));
}

const definitionOf = ({ id: _id, ...d }: JourneyInput): JourneyDefinition => d;

/**
 * Journeys: `GET /v1/journeys`, `POST /v1/journeys`, `PUT|GET|DELETE /v1/journeys/:id`, `POST
 * /v1/journeys/:id/pause|resume` and `GET /v1/journeys/:id/stats`. Reads take a read key, writes an admin key.
 * A definition is checked whole before it is stored: 400 `CDP_JOURNEY_INVALID` with `problems` by path.
 */
export async function journeyRoutes(app: FastifyInstance, deps: JourneyRouteDeps): Promise<void> {
  const { store } = deps;
  const typed = app.withTypeProvider<ZodTypeProvider>();
  app.setSchemaErrorFormatter(invalidJourney);
  const found = async (id: string): Promise<Journey> => {
    const journey = await store.get(id);
    if (!journey) throw new JourneyNotFoundError(id);
    return journey;
  };
  const checked = async (input: JourneyInput) => {
    const d = definitionOf(input);
    await checkDefinition(d, deps.lookups);
    return d;
  };

  typed.get(
    '/v1/journeys',
    { config: { scope: 'read' }, schema: { tags: JOURNEY_TAGS, summary: 'List journeys', description: 'Every journey, current version.', response: { 200: success({ journeys: z.array(journeyReply) }) } } },
    async () => ({ success: true as const, journeys: await store.list() }),
  );

  resourceWrites(app, {
    path: '/v1/journeys',
    kind: 'journey',
    tags: JOURNEY_TAGS,
    id: resourceId,
    input: journeyInput,
    reply: journeyReply,
    mismatch: (bodyId, id) => new InvalidJourneyError([{ path: 'id', message: `the body's id "${bodyId}" is not the journey being edited ("${id}")` }]),
    newId: () => `journey_${randomBytes(6).toString('hex')}`,
    create: async (id, input, request) => {
      const journey = await store.create(id, await checked(input), request.keyName ?? 'admin');
      await deps.schedule(id, journey.entry);
      return journey;
    },
    put: async (id, input, request) => {
      const { journey, created } = await store.put(id, await checked(input), request.keyName ?? 'admin');
      await deps.schedule(id, journey.entry);
      return { resource: journey, created };
    },
  });

  typed.get(
    '/v1/journeys/:id',
    { config: { scope: 'read' }, schema: { tags: JOURNEY_TAGS, summary: 'Read a journey', description: 'The current version.', params: idParams, response: { 200: success({ journey: journeyReply }), ...failures(400, 404) } } },
    async (request) => ({ success: true as const, journey: await found(request.params.id) }),
  );

  typed.delete(
    '/v1/journeys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: JOURNEY_TAGS,
        summary: 'Delete a journey',
        description: 'Its instances end at once (recorded as exited, reason journey_deleted) and its pending steps do nothing; its journey_events stay.',
        params: idParams,
        response: { 200: success({ deleted: z.string(), ended_instances: z.number() }), ...failures(400, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      await found(id);
      const ended = await deps.endAll(id, 'journey_deleted');
      await store.remove(id);
      await deps.schedule(id, undefined);
      return { success: true as const, deleted: id, ended_instances: ended };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    typed.post(
      `/v1/journeys/:id/${action}`,
      {
        config: { scope: 'admin' },
        schema: {
          tags: JOURNEY_TAGS,
          summary: action === 'pause' ? 'Pause a journey' : 'Resume a journey',
          description: action === 'pause' ? 'No new entries until resumed; instances already in go on to their end (delete the journey to stop them).' : 'Entries start again.',
          params: idParams,
          response: { 200: success({ journey: journeyReply }), ...failures(400, 404) },
        },
      },
      async (request) => {
        const journey = await store.setPaused(request.params.id, action === 'pause');
        if (!journey) throw new JourneyNotFoundError(request.params.id);
        return { success: true as const, journey };
      },
    );
  }

  typed.get(
    '/v1/journeys/:id/stats',
    {
      config: { scope: 'read' },
      schema: {
        tags: JOURNEY_TAGS,
        summary: "A journey's numbers",
        description: 'Entered, active, exited, reached the goal; how often each step was reached; sends sent, suppressed and failed by reason. From journey_events, every version together.',
        params: idParams,
        response: { 200: success({ stats: statsReply }), ...failures(400, 404) },
      },
    },
    async (request) => {
      const journey = await found(request.params.id);
      const order = stepOrder(journey.start, (s) => nextSteps(journey.steps[s]!).map((n) => n.to), Object.keys(journey.steps));
      const stats = await journeyStats(deps.clickhouse, deps.database, journey.id, order, await deps.activeCount(journey.id));
      return { success: true as const, stats };
    },
  );
}
