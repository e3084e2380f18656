import { readFileSync } from 'node:fs';
import type { Config } from '../../core/config.js';
import { UsageError } from '../../core/errors/usage-error.js';
import { inferPlanFromEvents } from '../../../ingest/tracking-plans/plan-sample.js';
import type { PlanBody } from '../../../ingest/tracking-plans/plan-inference.js';
import { serverAnswer } from '../server-answer.js';
import { serverOrDirect } from '../server-or-direct.js';

export const PLANS_USAGE = 'usage: cdp plans infer --source NAME [--days 7] | cdp plans apply FILE [--id ID]';

/**
 * `cdp plans infer --source NAME [--days N]`: a draft tracking plan (JSON, the body of PUT
 * /v1/tracking-plans/:id) from the source's events of the last N days, through the running product's
 * `GET /v1/tracking-plans/infer` or on the data directly.
 */
export async function plansInferCommand(config: Config, source: string | undefined, days: string | undefined): Promise<string> {
  if (!source) throw new UsageError(`--source NAME is required (the write key's source)\n${PLANS_USAGE}`);
  const n = days === undefined ? 7 : Number(days);
  if (!Number.isInteger(n) || n < 1 || n > 365) throw new UsageError(`--days must be a whole number from 1 to 365; got "${days}"`);
  const plan = await serverOrDirect<PlanBody>(config, {
    server: async (server) => (await server.call<{ plan: PlanBody }>('GET', `/v1/tracking-plans/infer?source=${encodeURIComponent(source)}&days=${n}`)).plan,
    direct: async ({ clickhouse }) => (await inferPlanFromEvents(clickhouse, config.CLICKHOUSE_DATABASE, { source, days: n, now: Date.now() })).plan,
  });
  return JSON.stringify(plan, null, 2);
}

/**
 * `cdp plans apply FILE [--id ID]`: puts the plan in FILE through the running product's
 * `PUT /v1/tracking-plans/:id` (the id from --id, or the file's `id`) and prints the answer. Only a running
 * product applies plans: it publishes each version to the API processes. A refusal exits non-zero with the
 * server's code and message (and its details, such as the schema error's path).
 */
export async function plansApplyCommand(config: Config, file: string | undefined, flagId: string | undefined): Promise<string> {
  if (!file) throw new UsageError(PLANS_USAGE);
  const { id: fileId, ...body } = readPlan(file);
  const id = flagId ?? fileId;
  if (typeof id !== 'string' || id === '') throw new UsageError(`${file} has no "id": name the plan with --id ID`);
  return serverOrDirect(config, {
    server: (server) => serverAnswer(server, (s) => s.call('PUT', `/v1/tracking-plans/${encodeURIComponent(id)}`, body), `tracking plan ${id}`),
  });
}

function readPlan(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (plan === null || typeof plan !== 'object' || Array.isArray(plan)) throw new UsageError(`${file} must hold one JSON object, the plan`);
  return plan as Record<string, unknown>;
}
