import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Metrics } from '../core/metrics.js';
import { file } from '../core/reply-schemas.js';

export interface HealthDeps {
  metrics: Metrics;
  /** Named readiness checks of what this process depends on (Redis, ClickHouse); each throws when down. */
  checks: Record<string, () => Promise<unknown>>;
  /**
   * What this process knows of itself without asking anyone (its Redis connection, the private Redis it
   * supervises): each returns undefined when fine, or what is wrong.
   */
  vitals: Record<string, () => string | undefined>;
}

type Outcome = Record<string, { ok: boolean; error?: string }>;

const TAGS = ['operations'];
const checks = z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() }));
const state = (values: [string, string]) => z.object({ status: z.enum(values), checks });

/**
 * `/health`: can this process do its work at all — 503 while its Redis connection is down or the private
 * Redis it runs is dead or being restarted (no role works without Redis); answered from state the process
 * holds, without a round trip, so it is instant even when a dependency hangs. ClickHouse being down is not
 * a health problem (loads retry), only a readiness one.
 * `/ready`: every dependency answers a real request within 2 s (Redis PING, ClickHouse SELECT 1).
 * `/metrics`: Prometheus.
 */
export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const healthState = state(['ok', 'unhealthy']);
  const readyState = state(['ready', 'not_ready']);

  typed.get(
    '/health',
    {
      config: { scope: 'public' },
      schema: {
        tags: TAGS,
        summary: 'Can this process work',
        description: "503 while its Redis connection is down or the private Redis it runs is dead; from the process's own state, without a round trip.",
        response: { 200: healthState, 503: healthState },
      },
    },
    async (_request, reply) => {
      const results: Outcome = {};
      for (const [name, vital] of Object.entries(deps.vitals)) {
        const error = vital();
        results[name] = error === undefined ? { ok: true } : { ok: false, error };
      }
      const healthy = Object.values(results).every((r) => r.ok);
      return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unhealthy', checks: results });
    },
  );

  typed.get(
    '/ready',
    {
      config: { scope: 'public' },
      schema: { tags: TAGS, summary: 'Does every dependency answer', description: 'Redis PING and ClickHouse SELECT 1, each within 2 s.', response: { 200: readyState, 503: readyState } },
    },
    async (_request, reply) => {
      const results: Outcome = {};
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
    },
  );

  typed.get(
    '/metrics',
    {
      config: { scope: 'public' },
      schema: { tags: TAGS, summary: 'Prometheus metrics', response: { 200: file('Prometheus text format', 'text/plain') } },
    },
    async (_request, reply) => {
      reply.header('content-type', deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );
}
