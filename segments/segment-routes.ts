import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import type { Config } from '../pipeline/core/config.js';
import { failures, success } from '../pipeline/core/reply-schemas.js';
import { resourceId } from '../pipeline/core/resource-id.js';
import { resourceWrites } from '../pipeline/core/resource-routes.js';
import { chMs, chTime } from '../pipeline/clickhouse/ch-time.js';
import type { SqlRunner } from '../pipeline/clickhouse/sql-runner.js';
import { analystMembersQuery, checkAnalystSql } from './definition/analyst-sql.js';
import { compileConditions, queryParams } from './definition/compile-conditions.js';
import { invalidSegment } from './definition/definition-problems.js';
import { rulesSegment, segmentInput, sqlSegment } from './definition/segment-definition.js';
import { InvalidSegmentError } from './errors/invalid-segment-error.js';
import { SegmentNotFoundError } from './errors/segment-not-found-error.js';
import { lastCommittedRuns } from './membership/committed-run.js';
import type { MembershipRunner } from './membership/membership-runner.js';
import type { SegmentSchedules } from './membership/membership-scheduler.js';
import type { SegmentStore } from './segment-store.js';

export interface SegmentRouteDeps {
  config: Config;
  store: SegmentStore;
  runner: MembershipRunner;
  schedules: SegmentSchedules;
  clickhouse: ClickHouseClient;
  /** readonly = 2 (previews of JSON definitions) and readonly = 1 (analyst SQL) connections. */
  sql: SqlRunner;
  analystSql: SqlRunner;
}

const TAGS = ['segments'];
const PREVIEW_SAMPLE = 20;

const idParams = z.object({ id: z.string().min(1).max(100) });
const asOf = z.iso.datetime({ offset: true, error: 'as_of must be an ISO 8601 date-time with an offset, e.g. 2026-11-01T00:00:00Z' }).describe('default: now');
const runBody = z.object({ as_of: asOf.optional() }).nullish();
// A preview is a segment that is not saved: its name is optional, and it may be computed as of another time.
const previewExtra = { name: rulesSegment.shape.name.optional(), as_of: asOf.optional() };
const previewBody = z.union([rulesSegment.extend(previewExtra), sqlSegment.extend(previewExtra)]);

const lastRun = z.object({ seq: z.number(), size: z.number(), as_of: z.string(), finished_at: z.string() }).describe('the last committed membership run');
const segmentReply = z
  .object({
    id: z.string(),
    version: z.number().describe('every change stores a new version; GET /v1/segments/:id/versions lists them'),
    name: z.string(),
    description: z.string(),
    kind: z.enum(['rules', 'sql']),
    conditions: z.unknown().optional().describe('the SegmentCondition tree, for kind rules'),
    sql: z.string().optional().describe('the analyst SELECT, for kind sql'),
    every_minutes: z.number().optional(),
    created_at: z.string(),
    created_by: z.string(),
  })
  .meta({ id: 'Segment', description: "A segment: a marketer's saved audience, as JSON conditions or an analyst's SQL" });
const withLastRun = segmentReply.extend({ last_run: lastRun.nullable() });

/**
 * Segments, the marketer's saved audiences: `GET /v1/segments` (with their last runs), `POST /v1/segments`,
 * `PUT|GET|DELETE /v1/segments/:id`, `GET /v1/segments/:id/versions`, `POST /v1/segments/preview` (size and a
 * sample without saving) and `POST /v1/segments/:id/run`. Reading takes a read key; everything else an
 * admin key (a preview runs the definition's SQL, as the SQL console does). A request that does not fit is
 * answered as an invalid definition: 400 `CDP_SEGMENT_INVALID` with `problems`.
 */
export async function segmentRoutes(app: FastifyInstance, deps: SegmentRouteDeps): Promise<void> {
  const { store, config } = deps;
  const db = config.CLICKHOUSE_DATABASE;
  const typed = app.withTypeProvider<ZodTypeProvider>();
  app.setSchemaErrorFormatter(invalidSegment);

  async function lastRuns(ids: string[]) {
    const iso = (chTimeText: string) => new Date(chMs(chTimeText)).toISOString();
    const runs = await lastCommittedRuns(deps.clickhouse, db, ids);
    return new Map<string, z.infer<typeof lastRun>>([...runs].map(([segmentId, r]) => [segmentId, { seq: r.seq, size: r.size, as_of: iso(r.as_of), finished_at: iso(r.finished_at) }]));
  }

  typed.get(
    '/v1/segments',
    {
      config: { scope: 'read' },
      schema: { tags: TAGS, summary: 'List segments', description: 'Every segment, current version, with its last run.', response: { 200: success({ segments: z.array(withLastRun) }) } },
    },
    async () => {
      const segments = await store.list();
      const runs = await lastRuns(segments.map((s) => s.id));
      return { success: true as const, segments: segments.map((s) => ({ ...s, last_run: runs.get(s.id) ?? null })) };
    },
  );

  resourceWrites(app, {
    path: '/v1/segments',
    kind: 'segment',
    tags: TAGS,
    id: resourceId,
    input: segmentInput,
    reply: segmentReply,
    mismatch: (bodyId, id) => new InvalidSegmentError([{ path: 'id', message: `the body's id "${bodyId}" is not the segment being edited ("${id}")` }]),
    newId: () => `seg_${randomBytes(6).toString('hex')}`,
    create: async (id, input, request) => {
      const segment = await store.create(id, input, request.keyName ?? 'admin');
      await deps.schedules.upsert(segment);
      return segment;
    },
    put: async (id, input, request) => {
      const { segment, created } = await store.put(id, input, request.keyName ?? 'admin');
      await deps.schedules.upsert(segment);
      return { resource: segment, created };
    },
  });

  typed.post(
    '/v1/segments/preview',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Preview a segment without saving it',
        description: `The size, ${PREVIEW_SAMPLE} member ids and (for JSON conditions) the compiled SQL of a definition, as of \`as_of\`.`,
        body: previewBody,
        response: {
          200: success({ as_of: z.string(), size: z.number(), sample: z.array(z.string()), sql: z.string().optional(), params: z.record(z.string(), z.unknown()).optional() }),
          ...failures(400),
        },
      },
    },
    async (request) => {
      const { as_of: rawAsOf, ...definition } = request.body;
      const at = rawAsOf ? Date.parse(rawAsOf) : Date.now();
      if ('sql' in definition) {
        const members = analystMembersQuery(await checkAnalystSql(deps.analystSql, definition.sql));
        const [size] = await deps.analystSql.run(`SELECT count() AS size FROM (${members})`);
        const sample = await deps.analystSql.run(`SELECT profile_id FROM (${members}) ORDER BY profile_id LIMIT ${PREVIEW_SAMPLE}`);
        return { success: true as const, as_of: new Date(at).toISOString(), size: Number(size?.size ?? 0), sample: sample.map((r) => String(r.profile_id)) };
      }
      await store.validate({ ...definition, name: definition.name ?? 'preview' });
      const compiled = compileConditions(definition.conditions, { database: db });
      const params = queryParams(compiled, chTime(at), config.SEGMENTS_TIME_ZONE);
      const [size] = await deps.sql.run(`SELECT count() AS size FROM (${compiled.sql})`, params);
      const sample = await deps.sql.run(`SELECT profile_id FROM (${compiled.sql}) ORDER BY profile_id LIMIT ${PREVIEW_SAMPLE}`, params);
      return { success: true as const, as_of: new Date(at).toISOString(), size: Number(size?.size ?? 0), sample: sample.map((r) => String(r.profile_id)), sql: compiled.sql, params: compiled.params };
    },
  );

  typed.get(
    '/v1/segments/:id',
    {
      config: { scope: 'read' },
      schema: { tags: TAGS, summary: 'Read a segment', description: 'The current version, with its last run.', params: idParams, response: { 200: success({ segment: withLastRun }), ...failures(400, 404) } },
    },
    async (request) => {
      const segment = await store.get(request.params.id);
      if (!segment) throw new SegmentNotFoundError(request.params.id);
      return { success: true as const, segment: { ...segment, last_run: (await lastRuns([segment.id])).get(segment.id) ?? null } };
    },
  );

  typed.get(
    '/v1/segments/:id/versions',
    {
      config: { scope: 'read' },
      schema: { tags: TAGS, summary: "A segment's versions", description: 'Every version, newest first.', params: idParams, response: { 200: success({ versions: z.array(segmentReply) }), ...failures(400, 404) } },
    },
    async (request) => {
      const versions = await store.versions(request.params.id);
      if (versions.length === 0) throw new SegmentNotFoundError(request.params.id);
      return { success: true as const, versions };
    },
  );

  typed.delete(
    '/v1/segments/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Delete a segment',
        description: 'Refused (400) while another segment uses it.',
        params: idParams,
        response: { 200: success({ deleted: z.string() }), ...failures(400, 404) },
      },
    },
    async (request) => {
      const segmentId = request.params.id;
      if (!(await store.remove(segmentId, request.keyName ?? 'admin'))) throw new SegmentNotFoundError(segmentId);
      await deps.schedules.remove(segmentId);
      return { success: true as const, deleted: segmentId };
    },
  );

  typed.post(
    '/v1/segments/:id/run',
    {
      config: { scope: 'admin' },
      schema: {
        tags: TAGS,
        summary: "Recompute a segment's membership now",
        description: 'One membership run as of `as_of`: who entered and who exited. Running the same `as_of` again changes nothing.',
        params: idParams,
        body: runBody,
        response: {
          200: success({
            result: z.object({ segment_id: z.string(), seq: z.number(), version: z.number(), as_of: z.string(), size: z.number(), entered: z.number(), exited: z.number(), duration_ms: z.number() }),
          }),
          ...failures(400, 404),
        },
      },
    },
    async (request) => {
      const at = request.body?.as_of ? Date.parse(request.body.as_of) : Date.now();
      return { success: true as const, result: await deps.runner.run(request.params.id, at) };
    },
  );
}
