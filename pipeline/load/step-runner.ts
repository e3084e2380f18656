import type { ClickHouseClient } from '../clickhouse/client.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { IdentityRules } from '../../identity/identifiers.js';
import type { Resolver } from '../../identity/resolver.js';
import { LoadStepError } from './load-step-error.js';
import type { MessageDedupe } from './message-dedupe.js';

// The runner of the load steps (pipeline/load/steps/), in the spirit of PostHog's ingestion pipeline: a step is
// a plain function from one batch to the next, and the runner is what names it — in the logs (the step's
// logger carries `step`), in the metrics (cdp_load_step_duration_seconds, cdp_load_step_failures_total) and
// in the error it fails with.

/** What every step may use: the loader's parts, and a logger bound to the step. */
export interface StepContext {
  clickhouse: ClickHouseClient;
  database: string;
  dedupe: MessageDedupe;
  resolver: Resolver;
  identityRules: IdentityRules;
  metrics: Metrics;
  log: Logger;
}

export interface LoadStep<In, Out> {
  /** As its file is named (kebab-case). */
  name: string;
  run(batch: In, ctx: StepContext): Promise<Out>;
}

export type RunStep = <In, Out>(step: LoadStep<In, Out>, batch: In) => Promise<Out>;

export function stepRunner(ctx: StepContext): RunStep {
  const contexts = new Map<string, StepContext>();
  return async (step, batch) => {
    let own = contexts.get(step.name);
    if (!own) {
      own = { ...ctx, log: ctx.log.child({ step: step.name }) };
      contexts.set(step.name, own);
    }
    const end = ctx.metrics.loadStepSeconds.startTimer({ step: step.name });
    try {
      return await step.run(batch, own);
    } catch (err) {
      ctx.metrics.loadStepFailures.inc({ step: step.name });
      throw new LoadStepError(step.name, err);
    } finally {
      end();
    }
  };
}
