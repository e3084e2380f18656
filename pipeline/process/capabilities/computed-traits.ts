import { traitRoutes } from '../../../segments/computed-traits/trait-routes.js';
import { createTraitStore } from '../../../segments/computed-traits/trait-store.js';
import type { Base, Served } from './base.js';
import type { HeldClickHouse } from './clickhouse-held.js';

/** Computed trait definitions and previews (`/v1/computed-traits`), where ClickHouse is held; the `traits` job computes them. */
export function startComputedTraits(base: Base, deps: { held: HeldClickHouse }): Served {
  const { config } = base;
  const store = createTraitStore({ clickhouse: deps.held.admin, database: config.CLICKHOUSE_DATABASE });
  return {
    routes: async (app) => {
      await app.register(traitRoutes, { config, store, sql: deps.held.sql });
    },
  };
}
