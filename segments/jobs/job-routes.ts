import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireScope } from '../../pipeline/auth/bearer-auth.js';
import type { KeyStore } from '../../pipeline/auth/key-store.js';
import type { JobRunner } from './job-runner.js';
import { JOB_NAMES } from './jobs.js';

const params = z.object({ name: z.enum([...JOB_NAMES, 'all']) });
const body = z.object({ as_of: z.iso.datetime({ offset: true }).optional() }).nullish();

/** `POST /v1/jobs/:name/run` (admin), body `{"as_of": "ISO"}` (default now): the job's JSON summary. */
export async function jobRoutes(app: FastifyInstance, deps: { keys: KeyStore; jobs: JobRunner }): Promise<void> {
  app.post('/v1/jobs/:name/run', { preHandler: requireScope(deps.keys, 'admin') }, async (request, reply) => {
    const p = params.safeParse(request.params);
    const b = body.safeParse(request.body);
    if (!p.success) return reply.code(404).send({ success: false, code: 'unknown_job', message: `jobs are ${[...JOB_NAMES, 'all'].join(', ')}` });
    if (!b.success) return reply.code(400).send({ success: false, code: 'invalid_request', message: 'as_of must be an ISO 8601 date-time with an offset, e.g. 1997-10-01T00:00:00Z' });
    const asOf = b.data?.as_of ? Date.parse(b.data.as_of) : Date.now();
    try {
      return { success: true, result: await deps.jobs.run(p.data.name, asOf) };
    } catch (err) {
      return reply.code(500).send({ success: false, code: 'job_failed', message: (err as Error).message });
    }
  });
}
