import type { Readable } from 'node:stream';
import { z } from 'zod';

// The answers every route of the API shares, as zod schemas: they serialize the replies
// (fastify-type-provider-zod) and describe them in the API reference (/openapi.json).

/** Every refusal and failure: `{ success: false, code, message }`; fields of its own (`problems`, `errors`) are kept. */
export const failure = z
  .looseObject({
    success: z.literal(false),
    code: z.string().describe('machine-readable: what went wrong'),
    message: z.string().describe('for people: what went wrong and, where it helps, what to do'),
  })
  .meta({ id: 'Failure', description: 'A refused or failed request' });

const WHY: Record<number, string> = {
  400: 'Invalid request: the message names each field or parameter at fault',
  401: 'No key, or a key this server does not know (or that was revoked)',
  403: 'The key may not do this',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'Over a size or count limit',
  415: 'Unsupported Content-Encoding',
  500: 'Failed on the server',
  503: 'A dependency is unavailable, or this process does not hold the ClickHouse data; retry later',
};

/** The failure answers of a route, by status, each described in the reference by what it means. */
export function failures<S extends number = never>(...statuses: S[]): Record<S, typeof failure> {
  return Object.fromEntries(statuses.map((status) => [status, failure.describe(WHY[status] ?? 'Refused')])) as Record<S, typeof failure>;
}

/** A success answer: `{ success: true, ...fields }`, other fields kept as sent. */
export function success<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.looseObject({ success: z.literal(true), ...shape });
}

/**
 * A file answered as it is (a Buffer, a stream or text), never serialized: the reference shows a string of
 * the answer's content type.
 */
export function file(description: string, ...types: string[]) {
  const body = z.union([z.string(), z.custom<Buffer | Readable>()]);
  return { description, content: Object.fromEntries(types.map((type) => [type, { schema: body }])) };
}
