import { Redis } from 'ioredis';
import type autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { publishPlan } from '../ingest/tracking-plans/plan-store.js';
import type { PlanRule, TrackingPlan } from '../ingest/tracking-plans/plan-definition.js';
import { redisKeyNames } from '../pipeline/redis/key-names.js';
import { localRedisSocket } from '../pipeline/redis/local-redis.js';
import { acceptedEvents, figures, ingestScenarios, load, precheck, type LoadFigures } from './ingest-bench.js';
import type { BenchOptions } from './options.js';
import { removeDir, startApiChild, type ApiChild } from './server-children.js';
import { round } from './figures.js';

// What a tracking plan costs the tracking API: two api-role children given the same bodies, connections and
// duration one after the other in the same run (alternating which goes first per round), one whose source has
// a 30-event plan (block mode: every event of the bench bodies is checked and fits) and one without a plan.
// The issue's bound: within 10 %.

const SIDES = ['planned', 'unplanned'] as const;
type Side = (typeof SIDES)[number];
const PREFIX = '{bench}';

export interface PlanScenarioReport {
  scenario: string;
  route: string;
  eventsPerRequest: number;
  planned: LoadFigures & { acceptedEvents: number };
  unplanned: LoadFigures & { acceptedEvents: number };
  /** planned req/s ÷ unplanned req/s, over all rounds. */
  ratio: number;
  /** (1 − ratio) in percent: the throughput the plan costs. */
  costPercent: number;
  roundRatios?: number[];
  valid: boolean;
  withinTenPercent: boolean;
}

export interface PlanReport {
  rounds: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  planEvents: number;
  scenarios: PlanScenarioReport[];
}

const money = { type: 'number', minimum: 0, maximum: 1_000_000 };
const line = {
  type: 'object',
  required: ['product_id', 'sku', 'price'],
  properties: {
    product_id: { type: 'string' },
    sku: { type: 'string', pattern: '^[A-Z0-9-]+$' },
    category: { type: 'string' },
    name: { type: 'string' },
    brand: { type: 'string' },
    variant: { type: 'string' },
    price: money,
    quantity: { type: 'integer', minimum: 1 },
    currency: { enum: ['EUR', 'USD', 'GBP'] },
    position: { type: 'integer' },
    url: { type: 'string', format: 'uri' },
    image_url: { type: 'string', format: 'uri' },
  },
};

/** The plan of the bench bodies' events (bench/bodies.ts), and 25 more as a shop's plan would list them. */
export function benchPlan(source: string): TrackingPlan {
  const rules: PlanRule[] = [
    { type: 'track', event: 'Product Viewed', properties: line },
    { type: 'track', event: 'Product Added', properties: { ...line, required: [...line.required, 'cart_id'], properties: { ...line.properties, cart_id: { type: 'string' } } } },
    { type: 'track', event: 'Cart Viewed', properties: { type: 'object', required: ['cart_id', 'products'], properties: { cart_id: { type: 'string' }, products: { type: 'array', items: line } } } },
    { type: 'track', event: 'Checkout Started', properties: { type: 'object', required: ['value', 'currency'], properties: { order_id: { type: 'string' }, value: money, currency: { enum: ['EUR', 'USD', 'GBP'] } } } },
    {
      type: 'track',
      event: 'Order Completed',
      properties: {
        type: 'object',
        required: ['order_id', 'total', 'currency', 'products'],
        properties: {
          checkout_id: { type: 'string' },
          order_id: { type: 'string', pattern: '^ord_[0-9]+$' },
          affiliation: { type: 'string' },
          total: money,
          subtotal: money,
          revenue: money,
          shipping: money,
          tax: money,
          discount: money,
          coupon: { type: 'string' },
          currency: { enum: ['EUR', 'USD', 'GBP'] },
          products: { type: 'array', items: line },
        },
      },
    },
    ...Array.from({ length: 25 }, (_, i): PlanRule => ({
      type: 'track',
      event: `Shop Event ${i + 1}`,
      properties: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string' }, value: money, at: { type: 'string', format: 'date-time' } } },
    })),
    { type: 'page', properties: { type: 'object', properties: { path: { type: 'string' }, url: { type: 'string', format: 'uri' }, title: { type: 'string' } } } },
    {
      type: 'identify',
      traits: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' }, first_name: { type: 'string' }, last_name: { type: 'string' }, newsletter: { type: 'boolean' }, plan: { enum: ['member', 'gold'] } } },
    },
  ];
  return { id: 'bench', version: 1, name: 'Bench shop', sources: [source], violations: 'block', unplanned_events: 'block', rules, created_at: new Date().toISOString(), created_by: 'bench' };
}

/** Publishes the plan in the child's Redis, as the plan store does, and waits until the child refuses an unplanned event. */
async function applyPlan(server: ApiChild, authorization: string): Promise<void> {
  const redis = new Redis({ path: localRedisSocket(server.dataDir), maxRetriesPerRequest: 1 });
  try {
    await publishPlan(redis, redisKeyNames(PREFIX).trackingPlans, benchPlan('bench'));
  } finally {
    redis.disconnect();
  }
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const res = await fetch(`${server.url}/v1/track`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ event: 'Not Planned', userId: 'probe' }) });
    if (res.status === 400) return;
    await sleep(100);
  }
  throw new Error('the tracking plan did not come into force in the bench child within 10 s');
}

export async function runPlanBench(opts: BenchOptions): Promise<PlanReport> {
  const servers: Partial<Record<Side, ApiChild>> = {};
  try {
    for (const side of SIDES) servers[side] = await startApiChild({ QUEUE_PREFIX: PREFIX });
    const authorization = `Basic ${Buffer.from(`${servers.planned!.writeKey}:`).toString('base64')}`;
    await applyPlan(servers.planned!, authorization);
    const reports: PlanScenarioReport[] = [];
    for (const scenario of ingestScenarios(opts)) {
      // Block mode: a body with a single violation would not answer a plain 200, so this proves the bodies fit the plan.
      for (const side of SIDES) await precheck(servers[side]!, scenario, authorization, `our API (${side})`);
      const results: Record<Side, autocannon.Result[]> = { planned: [], unplanned: [] };
      const accepted: Record<Side, number> = { planned: 0, unplanned: 0 };
      const measure = async (side: Side) => {
        const server = servers[side]!;
        process.stderr.write(`bench: plans ${scenario.name}: ${side}…\n`);
        if (opts.warmupSec > 0) await load(server.url, scenario, authorization, opts.warmupSec, opts.connections);
        const before = await acceptedEvents(server.url);
        results[side].push(await load(server.url, scenario, authorization, opts.durationSec, opts.connections));
        accepted[side] += (await acceptedEvents(server.url)) - before;
      };
      const roundRatios: number[] = [];
      for (let r = 0; r < opts.rounds; r++) {
        for (const side of r % 2 === 0 ? SIDES : [...SIDES].reverse()) await measure(side);
        const rate = (res: autocannon.Result) => res.requests.total / res.duration;
        roundRatios.push(round(rate(results.planned[r]!) / rate(results.unplanned[r]!), 3));
      }
      const p = figures(results.planned, scenario.eventsPerRequest);
      const u = figures(results.unplanned, scenario.eventsPerRequest);
      const valid = p.non2xx === 0 && p.errors === 0 && u.non2xx === 0 && u.errors === 0;
      const ratio = round(p.reqPerSec / u.reqPerSec, 3);
      const costPercent = round((1 - ratio) * 100, 1);
      reports.push({
        scenario: scenario.name,
        route: scenario.route,
        eventsPerRequest: scenario.eventsPerRequest,
        planned: { ...p, acceptedEvents: accepted.planned },
        unplanned: { ...u, acceptedEvents: accepted.unplanned },
        ratio,
        costPercent,
        ...(opts.rounds > 1 ? { roundRatios } : {}),
        valid,
        withinTenPercent: valid && costPercent <= 10,
      });
    }
    return { rounds: opts.rounds, connections: opts.connections, durationSec: opts.durationSec, warmupSec: opts.warmupSec, planEvents: 30, scenarios: reports };
  } finally {
    for (const server of Object.values(servers)) {
      await server.stop();
      removeDir(server.dataDir, opts.keepData);
    }
  }
}
