import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidRequestError } from '../../pipeline/core/errors/invalid-request-error.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { JobFailedError } from './errors/job-failed-error.js';
import { UnknownJobError } from './errors/unknown-job-error.js';
import type { JobRunner } from './job-runner.js';
import { JOB_REQUEST_NAMES, requestedJob } from './jobs.js';

const params = z.object({ name: z.enum(JOB_REQUEST_NAMES) });
const AS_OF = 'as_of must be an ISO 8601 date-time with an offset, e.g. 1997-10-01T00:00:00Z';
const body = z.object({ as_of: z.iso.datetime({ offset: true }).optional().describe('default: now') }).nullish();

const summary = z.looseObject({
  job: z.string(),
  as_of: z.string(),
  status: z.literal('succeeded'),
  rows: z.number(),
  duration_ms: z.number(),
  ran_dependencies: z.array(z.unknown()).describe('jobs this one needed and ran first, each a summary like this one'),
});

/** `POST /v1/jobs/:name/run` (admin), body `{"as_of": "ISO"}` (default now): the job's JSON summary. */
export async function jobRoutes(app: FastifyInstance, deps: { jobs: JobRunner }): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/jobs/:name/run',
    {
      config: { scope: 'admin' },
      // An unknown job is not found, whatever is wrong with the body; a bad as_of says what as_of must be.
      schemaErrorFormatter: (_errors, part) => (part === 'params' ? new UnknownJobError() : new InvalidRequestError(AS_OF)),
      schema: {
        tags: ['jobs'],
        summary: 'Run a scheduled job now',
        description:
          'orders, rfm (RFM scores 1–5 and RFM groups, the named R×F cells), churn (rule flag, BG/NBD P(alive), Gamma-Gamma CLV), lifecycle (stages and transitions), value_tiers (also `tiers`), or all, as of `as_of`; jobs it needs run first when their output is missing. Idempotent per as_of.',
        params,
        body,
        response: { 200: success({ result: z.union([summary, z.array(summary)]) }), ...failures(400, 404, 500, 503) },
      },
    },
    async (request, reply) => {
      const asOf = request.body?.as_of ? Date.parse(request.body.as_of) : Date.now();
      try {
        return { success: true as const, result: await deps.jobs.run(requestedJob(request.params.name), asOf) };
      } catch (err) {
        throw new JobFailedError(err);
      }
    },
  );
}
