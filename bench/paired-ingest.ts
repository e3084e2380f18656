import type autocannon from 'autocannon';
import { acceptedEvents, figures, ingestScenarios, load, precheck, type LoadFigures } from './ingest-bench.js';
import type { BenchOptions } from './options.js';
import type { ApiChild } from './server-children.js';
import { round } from './figures.js';

// Two api-role children that differ in one setting, given the same bodies, connections and duration one after
// the other in the same run, alternating which goes first per round so that a slow drift of the machine's
// load spreads over both. The fsync bench (appendfsync always vs everysec) and the tracking-plan bench (a
// 30-event plan vs none) are such pairs: what the first side costs is the figure.

export type PairedScenarioReport<A extends string, B extends string> = {
  scenario: string;
  route: string;
  eventsPerRequest: number;
  /** A req/s ÷ B req/s, over all rounds. */
  ratio: number;
  /** (1 − ratio) in percent: the throughput side A gives up. */
  costPercent: number;
  roundRatios?: number[];
  /** False when either side had a non-2xx answer or a connection error. */
  valid: boolean;
  /** costPercent ≤ 10 and valid. */
  withinTenPercent: boolean;
} & Record<A | B, LoadFigures & { acceptedEvents: number }>;

/** Measures every ingest scenario on both sides; `label` names the bench in progress lines. */
export async function pairedIngest<A extends string, B extends string>(
  opts: BenchOptions,
  label: string,
  sides: readonly [A, B],
  servers: Record<A | B, ApiChild>,
  authorization: string,
): Promise<PairedScenarioReport<A, B>[]> {
  const [a, b] = sides;
  const reports: PairedScenarioReport<A, B>[] = [];
  for (const scenario of ingestScenarios(opts)) {
    for (const side of sides) await precheck(servers[side], scenario, authorization, `our API (${side})`);
    const results = { [a]: [], [b]: [] } as unknown as Record<A | B, autocannon.Result[]>;
    const accepted = { [a]: 0, [b]: 0 } as unknown as Record<A | B, number>;
    const measure = async (side: A | B) => {
      const server = servers[side];
      process.stderr.write(`bench: ${label} ${scenario.name}: ${side}…\n`);
      if (opts.warmupSec > 0) await load(server.url, scenario, authorization, opts.warmupSec, opts.connections);
      const before = await acceptedEvents(server.url);
      results[side].push(await load(server.url, scenario, authorization, opts.durationSec, opts.connections));
      accepted[side] += (await acceptedEvents(server.url)) - before;
    };
    const roundRatios: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      for (const side of r % 2 === 0 ? sides : [b, a]) await measure(side);
      const rate = (res: autocannon.Result) => res.requests.total / res.duration;
      roundRatios.push(round(rate(results[a][r]!) / rate(results[b][r]!), 3));
    }
    const fa = figures(results[a], scenario.eventsPerRequest);
    const fb = figures(results[b], scenario.eventsPerRequest);
    const valid = fa.non2xx === 0 && fa.errors === 0 && fb.non2xx === 0 && fb.errors === 0;
    const ratio = round(fa.reqPerSec / fb.reqPerSec, 3);
    const costPercent = round((1 - ratio) * 100, 1);
    reports.push({
      scenario: scenario.name,
      route: scenario.route,
      eventsPerRequest: scenario.eventsPerRequest,
      [a]: { ...fa, acceptedEvents: accepted[a] },
      [b]: { ...fb, acceptedEvents: accepted[b] },
      ratio,
      costPercent,
      ...(opts.rounds > 1 ? { roundRatios } : {}),
      valid,
      withinTenPercent: valid && costPercent <= 10,
    } as PairedScenarioReport<A, B>);
  }
  return reports;
}
