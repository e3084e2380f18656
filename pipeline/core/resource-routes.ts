import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { failures, success } from './reply-schemas.js';

/** A managed resource's writes, for `resourceWrites`. */
export interface ResourceWrites<Input extends { id?: string | undefined }, Resource> {
  /** The collection, e.g. `/v1/segments`. */
  path: string;
  /** The resource's name in messages and the field of the answer that holds it, e.g. `segment`. */
  kind: string;
  tags: string[];
  /** The id's format, as `:id` and as the body's `id`. */
  id: z.ZodType<string>;
  /** The body of POST and PUT: the resource, with its id optional. */
  input: z.ZodType<Input>;
  /** The resource as answered. */
  reply: z.ZodType;
  /** Failure statuses beyond 400 (and 409 for POST), e.g. 404 for a resource naming one that does not exist. */
  failures?: number[];
  /** The refusal of a PUT whose body names another id than its path. */
  mismatch(bodyId: string, id: string): Error;
  newId(): string;
  /** Creates the resource, or throws ResourceExistsError (409) when the id is taken, atomically. */
  create(id: string, input: Input, request: FastifyRequest): Promise<Resource>;
  /** Creates or replaces the resource; `created` tells which. An unchanged resource is left as it is. */
  put(id: string, input: Input, request: FastifyRequest): Promise<{ resource: Resource; created: boolean }>;
}

/**
 * The resource convention of the API, for every managed resource (segments, destinations, and the ones to
 * come): `POST /v1/<things>` creates (the id from the body, or generated) and answers 201, or 409
 * `already_exists` when the id is taken; `PUT /v1/<things>/:id` creates (201) or replaces (200), idempotently.
 * Both take an admin key. GET and DELETE stay with each resource: what a read shows differs.
 */
export function resourceWrites<Input extends { id?: string | undefined }, Resource>(app: FastifyInstance, spec: ResourceWrites<Input, Resource>): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const answer = success({ [spec.kind]: spec.reply });
  const more = spec.failures ?? [];

  typed.post(
    spec.path,
    {
      config: { scope: 'admin' },
      schema: {
        tags: spec.tags,
        summary: `Create a ${spec.kind}`,
        description: `Creates a ${spec.kind} with the body's \`id\`, or a generated one. An id in use answers 409 \`already_exists\`: PUT ${spec.path}/:id replaces.`,
        body: spec.input,
        response: { 201: answer, ...failures(400, 409, ...more) },
      },
    },
    async (request, reply) => {
      const body = request.body as Input;
      const resource = await spec.create(body.id ?? spec.newId(), body, request);
      return reply.code(201).send({ success: true, [spec.kind]: resource });
    },
  );

  typed.put(
    `${spec.path}/:id`,
    {
      config: { scope: 'admin' },
      schema: {
        tags: spec.tags,
        summary: `Create or replace a ${spec.kind}`,
        description: `Creates the ${spec.kind} (201) or replaces it (200); the same body again changes nothing. The body's \`id\`, when given, must be the path's.`,
        params: z.object({ id: spec.id }),
        body: spec.input,
        response: { 200: answer, 201: answer, ...failures(400, ...more) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = request.body as Input;
      if (body.id !== undefined && body.id !== id) throw spec.mismatch(body.id, id);
      const { resource, created } = await spec.put(id, body, request);
      return reply.code(created ? 201 : 200).send({ success: true, [spec.kind]: resource });
    },
  );
}
