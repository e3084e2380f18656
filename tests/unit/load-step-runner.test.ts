import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { createMetrics } from '../../pipeline/core/metrics.js';
import { LoadStepError } from '../../pipeline/load/load-step-error.js';
import { stepRunner, type LoadStep, type StepContext } from '../../pipeline/load/step-runner.js';

// The runner names each load step in the logs, the metrics and the error it fails with, and hands the batch on
// untouched otherwise. The steps here are the test's own and use none of the loader's parts but these two.

function context() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const metrics = createMetrics();
  const ctx: StepContext = { metrics, log: pino({ level: 'info' }, sink), clickhouse: null as never, database: 'cdp', dedupe: null as never, resolver: null as never, identityRules: null as never };
  return { ctx, metrics, lines };
}

const metricText = async (metrics: ReturnType<typeof createMetrics>) => metrics.registry.metrics();

describe('the load step runner', () => {
  test("hands on the step's result, timed under the step's name, with a logger naming the step", async () => {
    const { ctx, metrics, lines } = context();
    const double: LoadStep<number[], number[]> = {
      name: 'double-them',
      async run(batch, { log }) {
        log.info('doubling');
        return batch.map((n) => n * 2);
      },
    };
    const run = stepRunner(ctx);
    expect(await run(double, [1, 2])).toEqual([2, 4]);
    expect(await run(double, [3])).toEqual([6]);
    expect(lines.map((l) => [l.step, l.msg])).toEqual([
      ['double-them', 'doubling'],
      ['double-them', 'doubling'],
    ]);
    const text = await metricText(metrics);
    expect(text).toMatch(/^cdp_load_step_duration_seconds_count\{step="double-them"\} 2$/m);
    expect(text).not.toMatch(/^cdp_load_step_failures_total\{/m);
  });

  test('a failing step fails with an error naming it, its cause kept, and is counted by name', async () => {
    const { ctx, metrics } = context();
    const cause = new Error('Connection is closed.');
    const broken: LoadStep<number[], number[]> = {
      name: 'reach-redis',
      async run() {
        throw cause;
      },
    };
    const err = await stepRunner(ctx)(broken, [1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadStepError);
    expect((err as LoadStepError).message).toBe('load step reach-redis failed: Connection is closed.');
    expect((err as LoadStepError).step).toBe('reach-redis');
    expect((err as LoadStepError).cause).toBe(cause);
    const text = await metricText(metrics);
    expect(text).toMatch(/^cdp_load_step_failures_total\{step="reach-redis"\} 1$/m);
    expect(text).toMatch(/^cdp_load_step_duration_seconds_count\{step="reach-redis"\} 1$/m);
  });
});
