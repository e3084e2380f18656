import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chMs, chTime } from '../../pipeline/clickhouse/ch-time.js';
import { ResourceExistsError } from '../../pipeline/core/errors/resource-exists-error.js';
import { oneAtATime } from '../../pipeline/core/one-at-a-time.js';
import { referencedTraits, type Condition } from '../definition/segment-definition.js';
import { InvalidTraitError } from './errors/invalid-trait-error.js';
import { definitionOf, traitDefinition, type ComputedTrait, type TraitDefinition, type TraitInput } from './trait-definition.js';

export interface TraitStore {
  list(): Promise<ComputedTrait[]>;
  get(id: string): Promise<ComputedTrait | undefined>;
  /** Every version of a trait, newest first (tombstones left out; a deleted trait's earlier versions stay). */
  versions(id: string): Promise<ComputedTrait[]>;
  /** Stores a new trait; an id in use is refused with ResourceExistsError (409). */
  create(id: string, input: TraitInput, by: string): Promise<ComputedTrait>;
  /** Creates the trait, or stores its next version; the definition of the current version again makes none. */
  put(id: string, input: TraitInput, by: string): Promise<{ trait: ComputedTrait; created: boolean }>;
  /** Tombstones a trait; false when there was none. Refused while a segment's conditions read it. */
  remove(id: string, by: string): Promise<boolean>;
}

interface Row {
  trait_id: string;
  version: number;
  name: string;
  kind: string;
  definition: string;
  created_at: string;
  created_by: string;
  deleted: number;
}

function toTrait(row: Row): ComputedTrait {
  return {
    id: row.trait_id,
    version: Number(row.version),
    ...traitDefinition.parse(JSON.parse(row.definition)),
    created_at: new Date(chMs(row.created_at)).toISOString(),
    created_by: row.created_by,
  };
}

/** The current version of every computed trait (or of one), by id: what the `traits` job computes. */
export async function currentTraits(clickhouse: ClickHouseClient, database: string, id?: string): Promise<ComputedTrait[]> {
  const rs = await clickhouse.query({
    query: `SELECT * FROM ${database}.computed_trait_definitions_current${id === undefined ? '' : ' WHERE trait_id = {id:String}'} ORDER BY trait_id`,
    query_params: id === undefined ? {} : { id },
    format: 'JSONEachRow',
  });
  return (await rs.json<Row>()).map(toTrait);
}

/**
 * Computed trait definitions, versioned in ClickHouse (table `computed_trait_definitions`, view
 * `computed_trait_definitions_current`), as segments are: each edit is a new row, a deletion a tombstone.
 * Writes from one process are serialised.
 */
export function createTraitStore(deps: { clickhouse: ClickHouseClient; database: string }): TraitStore {
  const { clickhouse, database: db } = deps;
  const serial = oneAtATime();
  const current = (id?: string) => currentTraits(clickhouse, db, id);

  const lastVersion = async (id: string): Promise<number> => {
    const rs = await clickhouse.query({ query: `SELECT max(version) AS version FROM ${db}.computed_trait_definitions WHERE trait_id = {id:String}`, query_params: { id }, format: 'JSONEachRow' });
    return Number((await rs.json<{ version: number }>())[0]?.version ?? 0);
  };

  async function write(id: string, definition: TraitDefinition, by: string, deleted = false): Promise<ComputedTrait> {
    const row: Row = {
      trait_id: id,
      version: (await lastVersion(id)) + 1,
      name: definition.name,
      kind: definition.kind,
      definition: JSON.stringify(definition),
      created_at: chTime(Date.now()),
      created_by: by,
      deleted: deleted ? 1 : 0,
    };
    await clickhouse.insert({ table: `${db}.computed_trait_definitions`, values: [row], format: 'JSONEachRow' });
    return toTrait(row);
  }

  /** The segments whose conditions read the trait. */
  async function segmentsUsing(id: string): Promise<string[]> {
    const rs = await clickhouse.query({ query: `SELECT segment_id, definition FROM ${db}.segments_current WHERE kind = 'rules' ORDER BY segment_id`, format: 'JSONEachRow' });
    const segments = await rs.json<{ segment_id: string; definition: string }>();
    return segments.filter((s) => referencedTraits(JSON.parse(s.definition) as Condition).some((r) => r.trait === id)).map((s) => s.segment_id);
  }

  return {
    list: () => current(),
    get: async (id) => (await current(id))[0],
    versions: async (id) => {
      const rs = await clickhouse.query({
        query: `SELECT * FROM ${db}.computed_trait_definitions WHERE trait_id = {id:String} AND deleted = 0 ORDER BY version DESC, created_at DESC`,
        query_params: { id },
        format: 'JSONEachRow',
      });
      return (await rs.json<Row>()).map(toTrait);
    },
    create: (id, input, by) =>
      serial(async () => {
        if ((await current(id)).length > 0) throw new ResourceExistsError('computed trait', id, '/v1/computed-traits');
        return write(id, definitionOf(input), by);
      }),
    put: (id, input, by) =>
      serial(async () => {
        const [existing] = await current(id);
        const definition = definitionOf(input);
        if (existing && JSON.stringify(definitionOf(existing)) === JSON.stringify(definition)) return { trait: existing, created: false };
        return { trait: await write(id, definition, by), created: existing === undefined };
      }),
    remove: (id, by) =>
      serial(async () => {
        const [existing] = await current(id);
        if (!existing) return false;
        const users = await segmentsUsing(id);
        if (users.length > 0) throw new InvalidTraitError([{ path: 'id', message: `segments ${users.map((s) => `"${s}"`).join(', ')} use this computed trait; change them first` }]);
        await write(id, definitionOf(existing), by, true);
        return true;
      }),
  };
}
