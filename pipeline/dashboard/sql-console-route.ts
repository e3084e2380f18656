import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CdpError } from '../core/errors/cdp-error.js';
import { SqlNotAllowedError } from '../core/errors/sql-not-allowed-error.js';
import { failures, success } from '../core/reply-schemas.js';
import { runCheckedSelect } from '../clickhouse/sql-guard.js';
import type { SqlRunner } from '../clickhouse/sql-runner.js';

const body = z.object({ query: z.string().trim().min(1, 'query is required').max(100_000).describe('one SELECT') });

// ClickHouse's code for "Cannot execute query in readonly mode".
const READONLY = 164;

/**
 * `POST /v1/sql` (admin key): one SELECT of the product database's tables, JSON rows back (sql-guard.ts says
 * what is allowed; a refusal is 403 `sql_not_allowed`). What `cdp sql` uses while a server runs. It reads, yet
 * takes an admin key: it reads every table, refused payloads included, and costs what the query costs.
 */
export async function sqlRoute(app: FastifyInstance, deps: { sql: SqlRunner }): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/sql',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['SQL'],
        summary: 'Run an analyst query',
        description:
          "One SELECT of the product database's tables and views (the SQL guard's rules), with time, row and memory limits. Anything else is 403 `sql_not_allowed` naming the function, table or clause; a failing query is 400 `query_failed` with ClickHouse's code.",
        body,
        response: { 200: success({ rows: z.array(z.record(z.string(), z.unknown())) }), ...failures(400, 403, 503) },
      },
    },
    async (request, reply) => {
      try {
        return { success: true as const, rows: await runCheckedSelect(deps.sql, request.body.query) };
      } catch (err) {
        if (err instanceof SqlNotAllowedError) throw err;
        const e = err as Error & { code?: string };
        const readonly = Number(e.code) === READONLY;
        throw readonly
          ? new CdpError('read_only', 403, `only read queries are allowed: ${e.message}`, { cause: err, reply: { clickhouse_code: e.code } })
          : new CdpError('query_failed', 400, e.message, { cause: err, reply: { clickhouse_code: e.code } });
      }
    },
  );
}
