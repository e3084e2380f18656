import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';

export interface HealthDeps {
  metrics: Metrics;
  /** Named readiness checks of what this process depends on (Redis, ClickHouse); each throws when down. */
  checks: Record<string, () => Promise<unknown>>;
}

/** `/health` (the process is up), `/ready` (its dependencies answer) and `/metrics` (Prometheus). */
export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/ready', async (_request, reply) => {
    const results: Record<string, { ok: boolean; error?: string }> = {};
    await Promise.all(
      Object.entries(deps.checks).map(async ([name, check]) => {
        try {
          await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2000).unref())]);
          results[name] = { ok: true };
        } catch (err) {
          results[name] = { ok: false, error: (err as Error).message };
        }
      }),
    );
    const ready = Object.values(results).every((r) => r.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: results });
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
