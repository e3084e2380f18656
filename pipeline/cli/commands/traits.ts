import { readFileSync } from 'node:fs';
import type { Config } from '../../core/config.js';
import { UsageError } from '../../core/errors/usage-error.js';
import { serverAnswer } from '../server-answer.js';
import { serverOrDirect, type LocalServer } from '../server-or-direct.js';

export const TRAITS_USAGE =
  'usage: cdp traits list | cdp traits get <id> | cdp traits put <file> [--id ID] | cdp traits delete <id> | cdp traits preview <file> --profile ID [--as-of ISO]';

export interface TraitsArgs {
  sub: string | undefined;
  /** The trait id (get, delete) or the definition's file (put, preview). */
  target: string | undefined;
  id?: string;
  profile?: string;
  asOf?: number;
}

/**
 * `cdp traits list|get|put|delete|preview`: computed trait definitions through the running product's
 * `/v1/computed-traits` routes; `put` and `preview` read a definition from a JSON file. A refusal exits
 * non-zero with the server's code, message and problems.
 */
export async function traitsCommand(config: Config, args: TraitsArgs): Promise<string> {
  return serverOrDirect(config, {
    server: (server) => serverAnswer(server, (s) => viaServer(s, args)),
  });
}

async function viaServer(server: LocalServer, { sub, target, id, profile, asOf }: TraitsArgs): Promise<unknown> {
  const path = (traitId: string) => `/v1/computed-traits/${encodeURIComponent(traitId)}`;
  if (sub === 'list') return (await server.call<{ traits: unknown[] }>('GET', '/v1/computed-traits')).traits;
  if (!target) throw new UsageError(TRAITS_USAGE);
  switch (sub) {
    case 'get':
      return (await server.call<{ trait: unknown }>('GET', path(target))).trait;
    case 'delete':
      return server.call('DELETE', path(target));
    case 'put': {
      const { id: fileId, ...definition } = readDefinition(target);
      const traitId = id ?? fileId;
      if (typeof traitId !== 'string' || traitId === '') throw new UsageError(`${target} has no "id": name the trait with --id ID`);
      return (await server.call<{ trait: unknown }>('PUT', path(traitId), definition)).trait;
    }
    case 'preview': {
      if (!profile) throw new UsageError(`--profile ID is required: the customer to compute the trait for\n${TRAITS_USAGE}`);
      const { id: _id, ...definition } = readDefinition(target);
      const { success: _success, ...preview } = await server.call('POST', '/v1/computed-traits/preview', {
        definition,
        profile_id: profile,
        ...(asOf === undefined ? {} : { as_of: new Date(asOf).toISOString() }),
      });
      return preview;
    }
    default:
      throw new UsageError(TRAITS_USAGE);
  }
}

function readDefinition(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let definition: unknown;
  try {
    definition = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) throw new UsageError(`${file} must hold one JSON object, the computed trait's definition`);
  return definition as Record<string, unknown>;
}
