import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import { chMs, chTime } from '../pipeline/clickhouse/ch-time.js';
import type { SqlRunner } from '../pipeline/clickhouse/sql-runner.js';
import { checkAnalystSql } from './definition/analyst-sql.js';
import { oneAtATime } from '../pipeline/core/one-at-a-time.js';
import { ResourceExistsError } from '../pipeline/core/errors/resource-exists-error.js';
import { problemsOf } from './definition/definition-problems.js';
import { MAX_DEPTH, depth, referencedSegments, referencedTraits, segmentInput, type Condition, type SegmentInput } from './definition/segment-definition.js';
import { InvalidSegmentError, type SegmentProblem } from './errors/invalid-segment-error.js';

export interface Segment {
  id: string;
  version: number;
  name: string;
  description: string;
  kind: 'rules' | 'sql';
  conditions?: Condition;
  sql?: string;
  /** Undefined: the SEGMENTS_EVERY_MINUTES default. */
  every_minutes?: number;
  created_at: string;
  created_by: string;
}

export interface SegmentStore {
  list(): Promise<Segment[]>;
  get(id: string): Promise<Segment | undefined>;
  /** Every version of a segment, newest first (deleted segments included). */
  versions(id: string): Promise<Segment[]>;
  /** Validates and stores a new segment; an id in use is refused with ResourceExistsError (409). */
  create(id: string, input: SegmentInput, by: string): Promise<Segment>;
  /**
   * Creates the segment, or stores its next version. A definition the same as the current version's (name,
   * description, conditions or SQL, schedule) makes no new version: the current one is answered as it is.
   */
  put(id: string, input: SegmentInput, by: string): Promise<{ segment: Segment; created: boolean }>;
  /** Tombstones a segment; false when there was none. */
  remove(id: string, by: string): Promise<boolean>;
  /** Validates a definition without storing it (the preview uses it). */
  validate(input: SegmentInput, id?: string): Promise<void>;
}

interface Row {
  segment_id: string;
  version: number;
  name: string;
  description: string;
  kind: 'rules' | 'sql';
  definition: string;
  every_minutes: number;
  created_at: string;
  created_by: string;
  deleted: number;
}

/** Parses a segment given outside a request (the bench, tests), turning zod's issues into problems with paths. */
export function parseSegmentInput(body: unknown): SegmentInput {
  const parsed = segmentInput.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new InvalidSegmentError(problemsOf(parsed.error.issues));
}

function toSegment(row: Row): Segment {
  const base = {
    id: row.segment_id,
    version: Number(row.version),
    name: row.name,
    description: row.description,
    kind: row.kind,
    every_minutes: Number(row.every_minutes) || undefined,
    created_at: new Date(chMs(row.created_at)).toISOString(),
    created_by: row.created_by,
  };
  return row.kind === 'sql' ? { ...base, sql: row.definition } : { ...base, conditions: JSON.parse(row.definition) as Condition };
}

/**
 * Segment definitions, versioned in ClickHouse (table `segments`): analysts can join them in SQL, and each
 * edit is a new row. Writes from one process are serialised; two processes editing one segment at the same
 * moment could both write the same version number, and the later `created_at` wins.
 */
export function createSegmentStore(deps: { clickhouse: ClickHouseClient; database: string; analystSql: SqlRunner }): SegmentStore {
  const { clickhouse, database: db } = deps;
  const serial = oneAtATime();

  const rows = async (query: string, params: Record<string, unknown> = {}) =>
    (await clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<Row>();

  const current = async (id?: string): Promise<Segment[]> =>
    (await rows(`SELECT * FROM ${db}.segments_current${id ? ' WHERE segment_id = {id:String}' : ''} ORDER BY segment_id`, id ? { id } : {})).map(toSegment);

  async function validate(input: SegmentInput, id?: string): Promise<void> {
    if ('sql' in input) {
      await checkAnalystSql(deps.analystSql, input.sql);
      return;
    }
    const problems: SegmentProblem[] = [];
    if (depth(input.conditions) > MAX_DEPTH) problems.push({ path: 'conditions', message: `conditions are nested deeper than ${MAX_DEPTH} levels` });
    const refs = referencedSegments(input.conditions);
    if (refs.length > 0) {
      const all = new Map((await current()).map((s) => [s.id, s]));
      for (const ref of refs) if (!all.has(ref)) problems.push({ path: 'conditions', message: `segment "${ref}" does not exist` });
      const cycle = id === undefined ? undefined : findCycle(id, refs, (s) => (all.get(s)?.conditions ? referencedSegments(all.get(s)!.conditions!) : []));
      if (cycle) problems.push({ path: 'conditions', message: `segments may not depend on themselves: ${cycle.join(' → ')}` });
    }
    const traits = referencedTraits(input.conditions);
    if (traits.length > 0) {
      const rs = await clickhouse.query({
        query: `SELECT trait_id FROM ${db}.computed_trait_definitions_current WHERE trait_id IN {ids:Array(String)}`,
        query_params: { ids: [...new Set(traits.map((t) => t.trait))] },
        format: 'JSONEachRow',
      });
      const known = new Set((await rs.json<{ trait_id: string }>()).map((r) => r.trait_id));
      for (const t of traits) if (!known.has(t.trait)) problems.push({ path: t.path, message: `computed trait "${t.trait}" does not exist` });
    }
    if (problems.length > 0) throw new InvalidSegmentError(problems);
  }

  async function write(id: string, version: number, input: SegmentInput, by: string): Promise<Segment> {
    const row: Row = {
      segment_id: id,
      version,
      name: input.name,
      description: input.description,
      kind: 'sql' in input ? 'sql' : 'rules',
      definition: 'sql' in input ? input.sql : JSON.stringify(input.conditions),
      every_minutes: input.every_minutes ?? 0,
      created_at: chTime(Date.now()),
      created_by: by,
      deleted: 0,
    };
    await clickhouse.insert({ table: `${db}.segments`, values: [row], format: 'JSONEachRow' });
    return toSegment(row);
  }

  const lastVersion = async (id: string): Promise<number> =>
    Number((await rows(`SELECT max(version) AS version FROM ${db}.segments WHERE segment_id = {id:String}`, { id }))[0]?.version ?? 0);

  return {
    list: () => current(),
    get: async (id) => (await current(id))[0],
    versions: async (id) =>
      (await rows(`SELECT * FROM ${db}.segments WHERE segment_id = {id:String} ORDER BY version DESC, created_at DESC`, { id })).filter((r) => !Number(r.deleted)).map(toSegment),
    validate,
    create: (id, input, by) =>
      serial(async () => {
        if ((await current(id)).length > 0) throw new ResourceExistsError('segment', id, '/v1/segments');
        await validate(input, id);
        return write(id, (await lastVersion(id)) + 1, input, by);
      }),
    put: (id, input, by) =>
      serial(async () => {
        const [existing] = await current(id);
        await validate(input, id);
        if (existing && sameDefinition(existing, input)) return { segment: existing, created: false };
        return { segment: await write(id, (await lastVersion(id)) + 1, input, by), created: existing === undefined };
      }),
    remove: (id, by) =>
      serial(async () => {
        const [existing] = await current(id);
        if (!existing) return false;
        const others = (await current()).filter((s) => s.id !== id && s.conditions && referencedSegments(s.conditions).includes(id));
        if (others.length > 0) throw new InvalidSegmentError([{ path: 'id', message: `segments ${others.map((s) => `"${s.id}"`).join(', ')} use this one; change them first` }]);
        await clickhouse.insert({
          table: `${db}.segments`,
          values: [{ segment_id: id, version: existing.version + 1, name: existing.name, description: '', kind: existing.kind, definition: '', every_minutes: 0, created_at: chTime(Date.now()), created_by: by, deleted: 1 }],
          format: 'JSONEachRow',
        });
        return true;
      }),
  };
}

/** Whether saving `input` would store what the segment's current version holds already. */
function sameDefinition(segment: Segment, input: SegmentInput): boolean {
  const definition = 'sql' in input ? { kind: 'sql', text: input.sql } : { kind: 'rules', text: JSON.stringify(input.conditions) };
  const stored = segment.kind === 'sql' ? segment.sql : JSON.stringify(segment.conditions);
  return (
    segment.name === input.name &&
    segment.description === input.description &&
    (segment.every_minutes ?? 0) === (input.every_minutes ?? 0) &&
    segment.kind === definition.kind &&
    stored === definition.text
  );
}

/** A path from `id` back to itself through segment references, if the new references `refs` make one. */
export function findCycle(id: string, refs: string[], refsOf: (id: string) => string[]): string[] | undefined {
  const seen = new Set<string>();
  const walk = (node: string, path: string[]): string[] | undefined => {
    if (node === id) return [...path, node];
    if (seen.has(node)) return undefined;
    seen.add(node);
    for (const next of refsOf(node)) {
      const found = walk(next, [...path, node]);
      if (found) return found;
    }
    return undefined;
  };
  for (const ref of refs) {
    const found = walk(ref, [id]);
    if (found) return found;
  }
  return undefined;
}
