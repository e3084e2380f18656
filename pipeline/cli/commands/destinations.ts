import { readFileSync } from 'node:fs';
import type { Config } from '../../core/config.js';
import { UsageError } from '../../core/errors/usage-error.js';
import { serverAnswer } from '../server-answer.js';
import { serverOrDirect, type LocalServer } from '../server-or-direct.js';

export const DESTINATIONS_USAGE =
  'usage: cdp destinations list | get <id> | create <file> | put <file> [--id ID] | delete <id> | pause <id> | resume <id> | replay <id> [--id DELIVERY_ID]';

export interface DestinationsArgs {
  sub: string | undefined;
  /** The destination id (get, delete, pause, resume, replay) or the definition's file (create, put). */
  target: string | undefined;
  /** put: the destination's id; replay: one delivery. */
  id?: string;
}

/**
 * `cdp destinations …`: destinations (event destinations and audience webhooks) through the running product's
 * `/v1/destinations` routes; `create` and `put` read the body from a JSON file (its secret or write key stays in
 * the file: the answers never show it). A refusal exits non-zero with the server's code and message.
 */
export async function destinationsCommand(config: Config, args: DestinationsArgs): Promise<string> {
  return serverOrDirect(config, {
    server: (server) => serverAnswer(server, (s) => viaServer(s, args)),
  });
}

async function viaServer(server: LocalServer, { sub, target, id }: DestinationsArgs): Promise<unknown> {
  const path = (destinationId: string) => `/v1/destinations/${encodeURIComponent(destinationId)}`;
  if (sub === 'list') return (await server.call<{ destinations: unknown[] }>('GET', '/v1/destinations')).destinations;
  if (!target) throw new UsageError(DESTINATIONS_USAGE);
  switch (sub) {
    case 'get': {
      const { success: _success, ...read } = await server.call('GET', path(target));
      return read;
    }
    case 'delete':
      return server.call('DELETE', path(target));
    case 'pause':
    case 'resume':
      return (await server.call<{ destination: unknown }>('POST', `${path(target)}/${sub}`)).destination;
    case 'replay': {
      const { success: _success, ...replayed } = await server.call('POST', `${path(target)}/replay`, id === undefined ? {} : { delivery_id: id });
      return replayed;
    }
    case 'create':
      return (await server.call<{ destination: unknown }>('POST', '/v1/destinations', readBody(target))).destination;
    case 'put': {
      const { id: fileId, ...body } = readBody(target);
      const destinationId = id ?? fileId;
      if (typeof destinationId !== 'string' || destinationId === '') throw new UsageError(`${target} has no "id": name the destination with --id ID`);
      return (await server.call<{ destination: unknown }>('PUT', path(destinationId), body)).destination;
    }
    default:
      throw new UsageError(DESTINATIONS_USAGE);
  }
}

function readBody(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new UsageError(`${file} must hold a JSON object`);
  return body as Record<string, unknown>;
}
