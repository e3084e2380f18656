import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { publishPlan } from '../ingest/tracking-plans/plan-store.js';
import type { PlanRule, TrackingPlan } from '../ingest/tracking-plans/plan-definition.js';
import { redisKeyNames } from '../pipeline/redis/key-names.js';
import { localRedisSocket } from '../pipeline/redis/local-redis.js';
import type { BenchOptions } from './options.js';
import { pairedIngest, type PairedScenarioReport } from './paired-ingest.js';
import { removeDir, startApiChild, type ApiChild } from './server-children.js';

// What a tracking plan costs the tracking API: two api-role children given the same bodies, connections and
// duration one after the other in the same run (alternating which goes first per round), one whose source has
// a 30-event plan (block mode: every event of the bench bodies is checked and fits) and one without a plan.
// The issue's bound: within 10 %.

const SIDES = ['planned', 'unplanned'] as const;
type Side = (typeof SIDES)[number];
const PREFIX = '{bench}';

/** `planned` is side A: its costPercent is what checking the plan costs. */
export type PlanScenarioReport = PairedScenarioReport<'planned', 'unplanned'>;

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
    // Block mode: a body with a single violation would not answer a plain 200, so the prechecks prove the bodies fit the plan.
    const reports = await pairedIngest(opts, 'plans', SIDES, { planned: servers.planned!, unplanned: servers.unplanned! }, authorization);
    return { rounds: opts.rounds, connections: opts.connections, durationSec: opts.durationSec, warmupSec: opts.warmupSec, planEvents: 30, scenarios: reports };
  } finally {
    for (const server of Object.values(servers)) {
      await server.stop();
      removeDir(server.dataDir, opts.keepData);
    }
  }
}
