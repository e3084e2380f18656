import type { Config } from '../../core/config.js';
import { ServerError } from '../../core/errors/server-error.js';
import { UsageError } from '../../core/errors/usage-error.js';
import { localAdminKey } from '../../auth/local-admin-key.js';
import { runningServer } from '../../core/server-info.js';

/**
 * `cdp segments list` and `cdp segments run <id|all> [--as-of ISO]`, through the running server. Unlike
 * `cdp jobs run`, there is no offline path: a run's changes go to the segment's webhook destinations, which
 * only a running product delivers.
 */
export async function segmentsCommand(config: Config, sub: string | undefined, id: string | undefined, asOf: number | undefined): Promise<string> {
  const server = runningServer(config.dataDir);
  if (!server) throw new UsageError(`no product is running on ${config.dataDir}; start it first (npx cdp start)`);
  const call = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${server.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${localAdminKey(config.dataDir)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = (await res.json()) as Record<string, unknown> & { message?: string };
    if (!res.ok) throw new ServerError(parsed.message ?? `the server answered ${res.status}`, res.status);
    return parsed;
  };
  if (sub === 'list') return JSON.stringify((await call('GET', '/v1/segments')).segments, null, 2);
  if (sub !== 'run' || !id) throw new UsageError('usage: cdp segments list | cdp segments run <id|all> [--as-of ISO]');
  const body = asOf === undefined ? {} : { as_of: new Date(asOf).toISOString() };
  const ids = id === 'all' ? ((await call('GET', '/v1/segments')).segments as { id: string }[]).map((s) => s.id) : [id];
  const results = [];
  for (const one of ids) results.push((await call('POST', `/v1/segments/${encodeURIComponent(one)}/run`, body)).result);
  return JSON.stringify(id === 'all' ? results : results[0], null, 2);
}
