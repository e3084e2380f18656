import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireScope } from '../auth/bearer-auth.js';
import type { KeyStore } from '../auth/key-store.js';
import { SqlNotAllowedError } from '../core/errors/sql-not-allowed-error.js';
import { runCheckedSelect } from '../clickhouse/sql-guard.js';
import type { SqlRunner } from '../clickhouse/sql-runner.js';

const body = z.object({ query: z.string().trim().min(1, 'query is required').max(100_000) });

// ClickHouse's code for "Cannot execute query in readonly mode".
const READONLY = 164;

/**
 * `POST /v1/sql` (admin key): one SELECT of the product database's tables, JSON rows back (sql-guard.ts says
 * what is allowed; a refusal is 403 `sql_not_allowed`). What `cdp sql` uses while a server runs.
 */
export async function sqlRoute(app: FastifyInstance, deps: { keys: KeyStore; sql: SqlRunner }): Promise<void> {
  app.post('/v1/sql', { preHandler: requireScope(deps.keys, 'admin') }, async (request, reply) => {
    const parsed = body.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ success: false, code: 'invalid_request', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    }
    try {
      const rows = await runCheckedSelect(deps.sql, parsed.data.query);
      return { success: true, rows };
    } catch (err) {
      if (err instanceof SqlNotAllowedError) return reply.code(403).send({ success: false, code: 'sql_not_allowed', message: err.message });
      const e = err as Error & { code?: string };
      const readonly = Number(e.code) === READONLY;
      return reply.code(readonly ? 403 : 400).send({
        success: false,
        code: readonly ? 'read_only' : 'query_failed',
        message: readonly ? `only read queries are allowed: ${e.message}` : e.message,
        clickhouse_code: e.code,
      });
    }
  });
}
