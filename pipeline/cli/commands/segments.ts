import type { Config } from '../../core/config.js';
import { UsageError } from '../../core/errors/usage-error.js';
import { serverOrDirect, type LocalServer } from '../server-or-direct.js';

const USAGE = 'usage: cdp segments list | cdp segments run <id|all> [--as-of ISO]';

/**
 * `cdp segments list` and `cdp segments run <id|all> [--as-of ISO]`, through the running product only: a
 * run's changes go to the segment's webhook destinations, which only a running product delivers.
 */
export async function segmentsCommand(config: Config, sub: string | undefined, id: string | undefined, asOf: number | undefined): Promise<string> {
  return serverOrDirect(config, { server: (server) => viaServer(server, sub, id, asOf) });
}

async function viaServer(server: LocalServer, sub: string | undefined, id: string | undefined, asOf: number | undefined): Promise<string> {
  const list = async () => (await server.call<{ segments: { id: string }[] }>('GET', '/v1/segments')).segments;
  if (sub === 'list') return JSON.stringify(await list(), null, 2);
  if (sub !== 'run' || !id) throw new UsageError(USAGE);
  const body = asOf === undefined ? {} : { as_of: new Date(asOf).toISOString() };
  const ids = id === 'all' ? (await list()).map((s) => s.id) : [id];
  const results = [];
  for (const one of ids) results.push((await server.call<{ result: unknown }>('POST', `/v1/segments/${encodeURIComponent(one)}/run`, body)).result);
  return JSON.stringify(id === 'all' ? results : results[0], null, 2);
}
