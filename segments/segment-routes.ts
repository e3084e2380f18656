import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { requireScope } from '../pipeline/auth/bearer-auth.js';
import type { KeyStore } from '../pipeline/auth/key-store.js';
import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import type { Config } from '../pipeline/core/config.js';
import { chMs, chTime } from '../pipeline/clickhouse/ch-time.js';
import type { SqlRunner } from '../pipeline/clickhouse/sql-runner.js';
import { analystMembersQuery, checkAnalystSql } from './definition/analyst-sql.js';
import { compileConditions, queryParams } from './definition/compile-conditions.js';
import { InvalidSegmentError } from './errors/invalid-segment-error.js';
import { SegmentNotFoundError } from './errors/segment-not-found-error.js';
import { lastCommittedRuns } from './membership/committed-run.js';
import type { MembershipRunner } from './membership/membership-runner.js';
import type { SegmentSchedules } from './membership/membership-scheduler.js';
import { parseSegmentInput, type SegmentStore } from './segment-store.js';

export interface SegmentRouteDeps {
  keys: KeyStore;
  config: Config;
  store: SegmentStore;
  runner: MembershipRunner;
  schedules: SegmentSchedules;
  clickhouse: ClickHouseClient;
  /** readonly = 2 (previews of JSON definitions) and readonly = 1 (analyst SQL) connections. */
  sql: SqlRunner;
  analystSql: SqlRunner;
}

const idParams = z.object({ id: z.string().min(1).max(100) });
const asOfBody = z.object({ as_of: z.iso.datetime({ offset: true }).optional() }).nullish();
const PREVIEW_SAMPLE = 20;

/**
 * Segment definitions: `GET/POST /v1/segments`, `GET/PUT/DELETE /v1/segments/:id`, `GET /v1/segments/:id/versions`,
 * `POST /v1/segments/preview` (size and a sample without saving) and `POST /v1/segments/:id/run`.
 * Reading takes a read or admin key; changing takes an admin key.
 */
export async function segmentRoutes(app: FastifyInstance, deps: SegmentRouteDeps): Promise<void> {
  const { store, config } = deps;
  const read = requireScope(deps.keys, 'read');
  const admin = requireScope(deps.keys, 'admin');
  const db = config.CLICKHOUSE_DATABASE;

  app.setErrorHandler((err, request, reply: FastifyReply) => {
    if (err instanceof InvalidSegmentError) return reply.code(400).send({ success: false, code: err.code, message: err.message, problems: err.problems });
    if (err instanceof SegmentNotFoundError) return reply.code(404).send({ success: false, code: err.code, message: err.message });
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) request.log.error({ err }, 'segment request failed');
    return reply.code(status).send({ success: false, code: status >= 500 ? 'internal_error' : 'invalid_request', message: (err as Error).message });
  });

  const id = (params: unknown): string => {
    const p = idParams.safeParse(params);
    if (!p.success) throw new InvalidSegmentError([{ path: 'id', message: 'a segment id is required' }]);
    return p.data.id;
  };
  const asOf = (body: unknown): number => {
    const b = asOfBody.safeParse(body);
    if (!b.success) throw new InvalidSegmentError([{ path: 'as_of', message: 'as_of must be an ISO 8601 date-time with an offset, e.g. 2026-11-01T00:00:00Z' }]);
    return b.data?.as_of ? Date.parse(b.data.as_of) : Date.now();
  };

  async function lastRuns(ids: string[]) {
    const iso = (chTimeText: string) => new Date(chMs(chTimeText)).toISOString();
    const runs = await lastCommittedRuns(deps.clickhouse, db, ids);
    return new Map([...runs].map(([segmentId, r]) => [segmentId, { seq: r.seq, size: r.size, as_of: iso(r.as_of), finished_at: iso(r.finished_at) }]));
  }

  app.get('/v1/segments', { preHandler: read }, async () => {
    const segments = await store.list();
    const runs = await lastRuns(segments.map((s) => s.id));
    return { success: true, segments: segments.map((s) => ({ ...s, last_run: runs.get(s.id) ?? null })) };
  });

  app.post('/v1/segments', { preHandler: admin }, async (request, reply) => {
    const segment = await store.create(parseSegmentInput(request.body), request.keyName ?? 'admin');
    await deps.schedules.upsert(segment);
    return reply.code(201).send({ success: true, segment });
  });

  app.post('/v1/segments/preview', { preHandler: admin }, async (request) => {
    const body = request.body && typeof request.body === 'object' ? { name: 'preview', ...(request.body as Record<string, unknown>) } : request.body;
    const { as_of: rawAsOf, ...definition } = (body ?? {}) as Record<string, unknown>;
    const input = parseSegmentInput(definition);
    const at = asOf({ as_of: rawAsOf });
    if ('sql' in input) {
      const members = analystMembersQuery(await checkAnalystSql(deps.analystSql, input.sql));
      const [size] = await deps.analystSql.run(`SELECT count() AS size FROM (${members})`);
      const sample = await deps.analystSql.run(`SELECT profile_id FROM (${members}) ORDER BY profile_id LIMIT ${PREVIEW_SAMPLE}`);
      return { success: true, as_of: new Date(at).toISOString(), size: Number(size?.size ?? 0), sample: sample.map((r) => r.profile_id) };
    }
    await store.validate(input);
    const compiled = compileConditions(input.conditions, { database: db });
    const params = queryParams(compiled, chTime(at), config.SEGMENTS_TIME_ZONE);
    const [size] = await deps.sql.run(`SELECT count() AS size FROM (${compiled.sql})`, params);
    const sample = await deps.sql.run(`SELECT profile_id FROM (${compiled.sql}) ORDER BY profile_id LIMIT ${PREVIEW_SAMPLE}`, params);
    return { success: true, as_of: new Date(at).toISOString(), size: Number(size?.size ?? 0), sample: sample.map((r) => r.profile_id), sql: compiled.sql, params: compiled.params };
  });

  app.get('/v1/segments/:id', { preHandler: read }, async (request) => {
    const segment = await store.get(id(request.params));
    if (!segment) throw new SegmentNotFoundError(id(request.params));
    return { success: true, segment: { ...segment, last_run: (await lastRuns([segment.id])).get(segment.id) ?? null } };
  });

  app.get('/v1/segments/:id/versions', { preHandler: read }, async (request) => {
    const versions = await store.versions(id(request.params));
    if (versions.length === 0) throw new SegmentNotFoundError(id(request.params));
    return { success: true, versions };
  });

  app.put('/v1/segments/:id', { preHandler: admin }, async (request) => {
    const segment = await store.update(id(request.params), parseSegmentInput(request.body), request.keyName ?? 'admin');
    await deps.schedules.upsert(segment);
    return { success: true, segment };
  });

  app.delete('/v1/segments/:id', { preHandler: admin }, async (request) => {
    const segmentId = id(request.params);
    if (!(await store.remove(segmentId, request.keyName ?? 'admin'))) throw new SegmentNotFoundError(segmentId);
    await deps.schedules.remove(segmentId);
    return { success: true, deleted: segmentId };
  });

  app.post('/v1/segments/:id/run', { preHandler: admin }, async (request) => {
    return { success: true, result: await deps.runner.run(id(request.params), asOf(request.body)) };
  });
}
