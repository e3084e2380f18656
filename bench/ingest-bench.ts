import autocannon from 'autocannon';
import { batchBodies, trackBodies } from './bodies.js';
import type { BenchOptions } from './options.js';
import { removeDir, startApiChild, startBareChild, type ServerChild } from './server-children.js';
import { round, type Target } from './figures.js';

// Ingest throughput: our tracking API (api role, in a child process, with its private Redis) against a bare
// Fastify route (also a child process) given the same bodies, connections and duration, one after the
// other in the same run. The load generator (autocannon) runs in this process.


export interface LoadFigures {
  reqPerSec: number;
  eventsPerSec: number;
  requests: number;
  durationSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

export interface ScenarioReport {
  scenario: string;
  route: string;
  eventsPerRequest: number;
  bodyBytes: { min: number; avg: number; max: number };
  bare: LoadFigures;
  ours: LoadFigures & {
    /** cdp_events_accepted_total grew by this much during the measurement. It may exceed requests × events by
     * up to connections × events: requests in flight when the load generator stops are still served. */
    acceptedEvents: number;
  };
  /** ours req/s ÷ bare req/s, over all rounds. */
  ratio: number;
  /** The same ratio per round, when BENCH_ROUNDS > 1. */
  roundRatios?: number[];
  /** False when either side had a non-2xx answer or a connection error: the figures then do not count. */
  valid: boolean;
  targets: { ratio: Target; eventsPerSec?: Target };
}

export interface IngestReport {
  rounds: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  scenarios: ScenarioReport[];
}

export interface Scenario {
  name: string;
  route: string;
  eventsPerRequest: number;
  bodies: string[];
  targetRatio: number;
  targetEventsPerSec?: number;
}


export async function load(url: string, scenario: Scenario, authorization: string, durationSec: number, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}${scenario.route}`,
    connections,
    duration: durationSec,
    headers: { 'content-type': 'application/json', authorization },
    // Each connection cycles through the same distinct bodies, built into request buffers once.
    requests: scenario.bodies.map((body) => ({ method: 'POST' as const, path: scenario.route, body })),
  });
}

export function figures(results: autocannon.Result[], eventsPerRequest: number): LoadFigures {
  const statusCodes: Record<string, number> = {};
  let requests = 0;
  let ok = 0;
  let duration = 0;
  for (const result of results) {
    for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (statusCodes[code] ?? 0) + (stat.count ?? 0);
    requests += result.requests.total;
    ok += result['2xx'];
    duration += result.duration;
  }
  const sum = (pick: (r: autocannon.Result) => number) => results.reduce((a, r) => a + pick(r), 0);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
  return {
    // Completed requests over the measured time (autocannon's requests.average is the same, sampled per second).
    reqPerSec: round(requests / duration),
    eventsPerSec: round((ok / duration) * eventsPerRequest),
    requests,
    durationSec: round(duration, 2),
    // Over several rounds: the median p50 and p90, and the worst p99 and max (histograms cannot be merged here).
    latencyMs: {
      p50: median(results.map((r) => r.latency.p50)),
      p90: median(results.map((r) => r.latency.p90)),
      p99: Math.max(...results.map((r) => r.latency.p99)),
      max: Math.max(...results.map((r) => r.latency.max)),
    },
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statusCodes,
  };
}

/** Sum of cdp_events_accepted_total over its labels, from the Prometheus text of /metrics. */
export async function acceptedEvents(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cdp_events_accepted_total{') || line.startsWith('cdp_events_accepted_total ')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** One request of each scenario must be a plain 200 {"success":true}: a bench of rejected events would be meaningless. */
export async function precheck(server: ServerChild, scenario: Scenario, authorization: string, name: string): Promise<void> {
  const res = await fetch(`${server.url}${scenario.route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: scenario.bodies[0],
  });
  const text = await res.text();
  if (res.status !== 200 || text !== '{"success":true}') {
    throw new Error(`${name} ${scenario.route} answered ${res.status} ${text.slice(0, 500)} to a bench body; fix bench/bodies.ts or the server`);
  }
}

function sizes(bodies: string[]) {
  const bytes = bodies.map((b) => Buffer.byteLength(b));
  return { min: Math.min(...bytes), avg: round(bytes.reduce((a, b) => a + b, 0) / bytes.length), max: Math.max(...bytes) };
}

/** The two ingest scenarios: single `track` calls, and batches of BENCH_BATCH_SIZE events. */
export function ingestScenarios(opts: BenchOptions): Scenario[] {
  return [
    { name: 'track-single', route: '/v1/track', eventsPerRequest: 1, bodies: trackBodies(opts.singleBodies), targetRatio: 0.85 },
    {
      name: `batch-${opts.batchSize}`,
      route: '/v1/batch',
      eventsPerRequest: opts.batchSize,
      bodies: batchBodies(opts.batchBodies, opts.batchSize),
      targetRatio: 0.7,
      // ARCHITECTURE.md states the events/s target for 100-event batches.
      targetEventsPerSec: 100_000,
    },
  ];
}

export async function runIngestBench(opts: BenchOptions): Promise<IngestReport> {
  const scenarios = ingestScenarios(opts);

  const bare = await startBareChild();
  let api: Awaited<ReturnType<typeof startApiChild>> | undefined;
  try {
    const ours = await startApiChild();
    api = ours;
    const authorization = `Basic ${Buffer.from(`${ours.writeKey}:`).toString('base64')}`;
    const reports: ScenarioReport[] = [];
    for (const scenario of scenarios) {
      await precheck(bare, scenario, authorization, 'bare server');
      await precheck(ours, scenario, authorization, 'our API');

      const bareResults: autocannon.Result[] = [];
      const oursResults: autocannon.Result[] = [];
      const roundRatios: number[] = [];
      let acceptedDuringRuns = 0;
      const measureBare = async () => {
        process.stderr.write(`bench: ingest ${scenario.name}: bare route…\n`);
        if (opts.warmupSec > 0) await load(bare.url, scenario, authorization, opts.warmupSec, opts.connections);
        bareResults.push(await load(bare.url, scenario, authorization, opts.durationSec, opts.connections));
      };
      const measureOurs = async () => {
        process.stderr.write(`bench: ingest ${scenario.name}: our API…\n`);
        if (opts.warmupSec > 0) await load(ours.url, scenario, authorization, opts.warmupSec, opts.connections);
        const before = await acceptedEvents(ours.url);
        oursResults.push(await load(ours.url, scenario, authorization, opts.durationSec, opts.connections));
        acceptedDuringRuns += (await acceptedEvents(ours.url)) - before;
      };
      for (let r = 0; r < opts.rounds; r++) {
        // Alternating the order spreads a slow drift of the machine's load over both sides.
        if (r % 2 === 0) {
          await measureBare();
          await measureOurs();
        } else {
          await measureOurs();
          await measureBare();
        }
        const rate = (res: autocannon.Result) => res.requests.total / res.duration;
        roundRatios.push(round(rate(oursResults[r]!) / rate(bareResults[r]!), 3));
      }
      const bareResult = figures(bareResults, scenario.eventsPerRequest);
      const oursResult = figures(oursResults, scenario.eventsPerRequest);

      const valid = bareResult.non2xx === 0 && bareResult.errors === 0 && oursResult.non2xx === 0 && oursResult.errors === 0;
      const ratio = oursResult.reqPerSec / bareResult.reqPerSec;
      const target = (goal: number, value: number): Target => ({ target: goal, value, met: valid && value >= goal });
      reports.push({
        scenario: scenario.name,
        route: scenario.route,
        eventsPerRequest: scenario.eventsPerRequest,
        bodyBytes: sizes(scenario.bodies),
        bare: bareResult,
        ours: { ...oursResult, acceptedEvents: acceptedDuringRuns },
        ratio: round(ratio, 3),
        ...(opts.rounds > 1 ? { roundRatios } : {}),
        valid,
        targets: {
          ratio: target(scenario.targetRatio, round(ratio, 3)),
          ...(scenario.targetEventsPerSec === undefined ? {} : { eventsPerSec: target(scenario.targetEventsPerSec, oursResult.eventsPerSec) }),
        },
      });
    }
    return { rounds: opts.rounds, connections: opts.connections, durationSec: opts.durationSec, warmupSec: opts.warmupSec, scenarios: reports };
  } finally {
    await bare.stop();
    if (api) {
      await api.stop();
      removeDir(api.dataDir, opts.keepData);
    }
  }
}
