import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { InvalidRequestError } from './errors/invalid-request-error.js';

/** The part of a request that failed its schema, as Fastify names it. */
export type RequestPart = 'body' | 'headers' | 'params' | 'querystring';

/**
 * Routes declare their params, query, body and answers as zod schemas (fastify-type-provider-zod): requests
 * are validated with them, answers serialized with them, and the API reference is made of them.
 */
export function useRouteSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setSchemaErrorFormatter(invalidRequest);
}

/**
 * How a request that does not fit its route's zod schemas is answered. Fastify hands a schema error
 * formatter the issues fastify-type-provider-zod made of zod's (code as `keyword`, path as `instancePath`,
 * the rest as `params`); `requestIssues` turns them back into zod issues, so that a route may describe them
 * in its own terms (the segment routes list `problems`). Everything else answers 400 `invalid_request`.
 */
export function requestIssues(errors: FastifySchemaValidationError[]): z.core.$ZodIssue[] {
  return errors.map((e) => ({
    ...e.params,
    code: e.keyword,
    path: e.instancePath === '/' || e.instancePath === '' ? [] : e.instancePath.slice(1).split('/'),
    message: e.message ?? 'is invalid',
  })) as z.core.$ZodIssue[];
}

/** "limit: must be from 1 to 10000; unknown parameter(s) page": each issue with its path, or the part of the request. */
export function describeIssues(issues: z.core.$ZodIssue[], part: RequestPart): string {
  return issues
    .map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown ${part === 'body' ? 'field(s)' : 'parameter(s)'} ${i.keys.join(', ')}`
        : `${i.path.join('.') || part}: ${i.message}`,
    )
    .join('; ');
}

/** The schema error formatter of every route that does not set its own: 400 `invalid_request`. */
export function invalidRequest(errors: FastifySchemaValidationError[], part: RequestPart): InvalidRequestError {
  return new InvalidRequestError(describeIssues(requestIssues(errors), part));
}
