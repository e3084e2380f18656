import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createClickHouse } from '../../pipeline/clickhouse/client.js';
import { clusterMutation, type Cluster } from '../../pipeline/clickhouse/cluster-ddl.js';
import { migrationPlan } from '../../pipeline/clickhouse/migrations.js';
import { CLICKHOUSE_ROUTES } from '../../pipeline/process/no-clickhouse-fallback.js';
import { alertMetric, METRIC_NAMES } from '../../segments/alerts/alert-metrics.js';
import { onThisNode, startClusterNode, TEST_CLUSTER, withoutReplication, type ClusterNode } from '../helpers/cluster-chdb.js';
import { sendCustomers, type Customers } from '../helpers/customer-model-fixtures.js';
import { ADMIN_KEY, startTestProduct, tempDir, type TestProduct } from '../helpers/test-product.js';

// Every query the product sends, collected while it runs on one node (ingest, load, identity, every job, a
// segment of each condition type, every ClickHouse route, every alert metric, a deletion), then EXPLAINed on a
// node of a 2 × 2 cluster holding the cluster schema: 279 (it went on to ask the shards) passes, 288 (a
// double-distributed IN or JOIN, which ClickHouse refuses: it needs GLOBAL) fails, as does any other error.
// Collected at the client, so a query added to the product later is checked without listing it here.

interface Sent {
  query: string;
  params?: Record<string, unknown>;
}
const sent: Sent[] = [];

/** Records every query, command and exec of every @clickhouse/client in this process (the product's included). */
function recordQueries(): () => void {
  let proto = Object.getPrototypeOf(createClient({ url: 'http://127.0.0.1:9' })) as Record<string, unknown>;
  while (!Object.hasOwn(proto, 'query')) proto = Object.getPrototypeOf(proto) as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (const method of ['query', 'command', 'exec']) {
    const original = proto[method] as (p: { query: string; query_params?: Record<string, unknown> }) => unknown;
    originals.set(method, original);
    proto[method] = function (this: unknown, p: { query: string; query_params?: Record<string, unknown> }) {
      sent.push({ query: p.query, params: p.query_params });
      return original.call(this, p);
    };
  }
  return () => originals.forEach((fn, method) => (proto[method] = fn));
}

const cluster: Cluster = { name: TEST_CLUSTER, shardingKey: 'cityHash64(profile_id)' };
const dir = tempDir('cdp-cluster-queries-');
let product: TestProduct;
let node: ClusterNode;
let restore: () => void;
let customers: Customers;
const AS_OF = new Date(Date.now() + 60_000).toISOString();

async function call(method: string, route: string, body?: unknown) {
  const res = await product.request(method, route, body, { auth: `Bearer ${ADMIN_KEY}` });
  expect(res.status, `${method} ${route}: ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(400);
  return res.body;
}

beforeAll(async () => {
  restore = recordQueries();
  // No quiet hours: a send due in them is held until they end, so run in the evening (after 21:00, the default)
  // the journey did not exit and the test failed.
  product = await startTestProduct({ roles: ['api', 'workers', 'scheduler'], env: { DESTINATIONS_ALLOW_PRIVATE: 'true', MESSAGES_QUIET_HOURS: '' } });
  node = startClusterNode(dir);
  const plan = migrationPlan(product.config.CLICKHOUSE_DATABASE, cluster);
  for (const s of [...plan.bootstrap, ...plan.migrations.flatMap((m) => m.statements)].filter((s) => !s.startsWith('INSERT'))) {
    const answer = await node.run(withoutReplication(onThisNode(s)));
    if (!answer.ok) throw new Error(`${answer.message}\n${s}`);
  }
  // Analyst SQL names tables without their database, as the product's SQL runner lets it.
  await node.run(`USE ${product.config.CLICKHOUSE_DATABASE}`);
});

afterAll(async () => {
  restore?.();
  await node?.kill();
  await product?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test('every query the product sends is valid on the sharded schema, with no double-distributed subquery', async () => {
  const run = randomUUID().slice(0, 8);
  customers = await sendCustomers(product, run);
  const e = (x: Record<string, unknown>) => ({ messageId: randomUUID(), context: { consent: { categoryPreferences: { marketing: true } }, campaign: { name: 'spring', source: 'news' } }, ...x });
  expect(
    (
      await product.post('/v1/batch', {
        batch: [
          e({ type: 'track', userId: customers.annUserId, event: 'Product Viewed', properties: { product_id: 'p1' } }),
          e({ type: 'track', userId: customers.annUserId, event: 'Order Completed', properties: { order_id: `o2-${run}`, revenue: 20, products: [{ product_id: 'p1', category: 'shoes', price: 20 }] } }),
          e({ type: 'track', userId: `bob-${run}`, event: 'Order Completed', properties: { order_id: `o3-${run}`, revenue: 30, products: [{ product_id: 'p2', category: 'hats', price: 30 }] } }),
          e({ type: 'track', userId: `bob-${run}`, event: 'Order Refunded', properties: { order_id: `o3-${run}`, revenue: 30 } }),
          e({ type: 'identify', userId: `bob-${run}`, traits: { email: `bob.${run}@example.com`, plan: 'gold' } }),
        ],
      })
    ).status,
  ).toBe(200);
  await product.waitForRows('SELECT count() AS n FROM events', (r) => Number((r[0] as { n: string }).n) === 10);

  // Definitions first, so that the jobs and segments read them.
  await call('PUT', '/v1/computed-traits/spend', { name: 'Spent', kind: 'sum', event: 'Order Completed', property: 'revenue' });
  await call('PUT', '/v1/computed-traits/favourite', { name: 'Favourite', kind: 'most_frequent', event: 'Order Completed', property: 'products[].category' });
  await call('PUT', '/v1/tracking-plans/web', { name: 'web', sources: ['web'], violations: 'allow', unplanned_events: 'allow', rules: [{ type: 'track', event: 'Order Completed', properties: { type: 'object', required: ['order_id'] } }] });
  await call('POST', '/v1/campaigns/spring/costs', { date: AS_OF.slice(0, 10), currency: 'EUR', amount: 10 });
  await call('PUT', '/v1/alerts/orders', { name: 'orders', metric: 'orders_per_hour', threshold: { op: 'lt', value: 1, for_minutes: 30 }, webhook: { url: 'http://127.0.0.1:9/x', secret: 'a'.repeat(32) } });
  await call('POST', '/v1/jobs/all/run', { as_of: AS_OF });

  // A journey entered by an event, whose branch reads the segment language for one profile and whose send
  // reads the customer for the template (it fails without SMTP, which records it too).
  await call('PUT', '/v1/templates/welcome', { channel: 'email', subject: 'Hi {{ profile.traits.plan }}', body: '<p>{{ profile.lifecycle }}</p>' });
  await call('PUT', '/v1/subscription-groups/news', { channel: 'email', type: 'opt_out' });
  await call('PUT', '/v1/journeys/welcome', {
    name: 'welcome',
    entry: { event: 'Journey Test' },
    start: 'check',
    steps: {
      check: { type: 'branch', condition: { type: 'event', event: 'Order Completed', count: { op: 'gte', value: 1 } }, yes: 'mail', no: 'done' },
      mail: { type: 'send', channel: 'email', template: 'welcome', subscription_group: 'news', next: 'done' },
      done: { type: 'exit' },
    },
  });
  expect((await product.post('/v1/track', { userId: customers.annUserId, event: 'Journey Test', messageId: randomUUID() })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM journey_events WHERE journey_id = 'welcome' AND kind = 'exited'`, (r) => r.length > 0, 60_000);

  const conditions: Record<string, unknown>[] = [
    { type: 'trait', trait: 'plan', op: 'eq', value: 'gold' },
    { type: 'event', event: 'Order Completed', count: { op: 'gte', value: 1 }, window: { within_days: 30 }, where: [{ property: 'revenue', op: 'gt', value: 10 }] },
    { type: 'event', call: 'page', name: 'Home' },
    { type: 'no_event', event: 'Order Completed', window: { within_days: 7 } },
    { type: 'rfm', r: { gte: 3 } },
    { type: 'churn', flag: 'either' },
    { type: 'clv', gte: 1 },
    { type: 'computed_trait', trait: 'spend', op: 'gt', value: 5 },
    { type: 'lifecycle', stage: ['new', 'active'], entered_within_days: 30 },
    { type: 'value_tier', tier: ['high_value'] },
    { type: 'consent', category: 'marketing', granted: true },
    { type: 'nps', group: ['promoter'] },
    { type: 'complaints', open: { gte: 1 } },
    { type: 'not', condition: { type: 'trait', trait: 'plan', op: 'exists' } },
  ];
  for (const [i, c] of conditions.entries()) {
    await call('POST', '/v1/segments/preview', { conditions: c, as_of: AS_OF });
    await call('PUT', `/v1/segments/s${i}`, { name: `s${i}`, conditions: c });
  }
  await call('PUT', '/v1/segments/of-others', { name: 'of others', conditions: { type: 'or', conditions: [{ type: 'segment', segment_id: 's0' }, { type: 'segment', segment_id: 's1' }] } });
  await call('PUT', '/v1/segments/analyst', { name: 'analyst', sql: 'SELECT profile_id FROM profiles WHERE event_count > 1' });
  for (const id of [...conditions.keys()].map((i) => `s${i}`).concat('of-others', 'analyst')) await call('POST', `/v1/segments/${id}/run`, { as_of: AS_OF });

  // Every ClickHouse route that reads, with ids of what exists.
  const ids: Record<string, string> = { journeys: 'welcome', templates: 'welcome', 'subscription-groups': 'news', segments: 's1', 'computed-traits': 'spend', alerts: 'orders', 'tracking-plans': 'web', campaigns: 'spring', profiles: customers.ann };
  const queries: Record<string, string> = {
    '/v1/profiles/lookup': `?type=email&value=${encodeURIComponent(customers.annEmail)}`,
    '/v1/dashboard/customer': `?q=${encodeURIComponent(customers.annEmail)}`,
    '/v1/tracking-plans/infer': '?source=web',
    '/v1/lifecycle/transitions': `?from=${encodeURIComponent(AS_OF)}&to=${encodeURIComponent(AS_OF)}`,
  };
  for (const r of CLICKHOUSE_ROUTES.filter((r) => r.method === 'GET' && !r.url.includes('/destinations'))) {
    const url = r.url.replace(/:(\w+)/g, () => ids[r.url.split('/')[2]!]!) + (queries[r.url] ?? '');
    await call('GET', url);
  }
  await call('POST', '/v1/sql', { query: 'SELECT profile_id, count() FROM events_resolved GROUP BY profile_id' });
  const clickhouse = createClickHouse(product.config);
  for (const name of METRIC_NAMES) {
    const metric = alertMetric(name.replace('<N>', '24'))!;
    await metric.measure({ clickhouse, database: 'cdp', timeZone: 'UTC', shopCurrency: '', loadQueue: { getWaitingCount: async () => 0 }, deadLetterCounts: [] }, Date.now());
  }
  await clickhouse.close();
  await call('POST', '/v1/identity/rebuild', {});
  await call('DELETE', `/v1/profiles/${customers.bob}`);

  // The queries, each once, EXPLAINed on the cluster node.
  const sharded = migrationPlan('cdp', cluster).sharded;
  const distinct = new Map(sent.map((s) => [s.query.trim(), s]));
  const refused: string[] = [];
  const kinds = { select: 0, insertSelect: 0, mutation: 0 };
  for (const [text, s] of distinct) {
    let explain: string | undefined;
    if (/^DESCRIBE /i.test(text)) {
      // The columns of an analyst segment's query: asked as is.
      const answer = await node.run(text, s.params);
      if (!answer.ok && answer.code !== 279) refused.push(`${answer.code}: ${answer.message?.slice(0, 300)}\n  ${text.slice(0, 600)}`);
      continue;
    } else if (/^(SELECT|WITH|\()/i.test(text)) {
      explain = text;
      kinds.select++;
    } else if (/^INSERT INTO \S+ SETTINGS [^(]*? SELECT \* FROM file\(/i.test(text)) {
      // The embedded engine's load from its insert file (pipeline/clickhouse/insert-rows.ts): a server gets the
      // rows over HTTP instead.
      continue;
    } else if (/^INSERT INTO/i.test(text)) {
      // An INSERT ... SELECT runs its SELECT over the Distributed tables: that is what could be refused.
      const at = /\b(SELECT|WITH)\b/i.exec(text);
      if (!at || /^INSERT INTO [^(]*\([^)]*\)\s*VALUES/i.test(text)) continue;
      explain = text.slice(at.index);
      kinds.insertSelect++;
    } else if (/^(DELETE FROM|ALTER TABLE \S+ (DELETE|UPDATE))/i.test(text)) {
      const m = /^(?:DELETE FROM|ALTER TABLE) (\S+?)(?: ON CLUSTER \w+)? (?:DELETE )?WHERE ([\s\S]*)$/i.exec(clusterMutation(text, cluster, sharded))!;
      const table = m[1]!.replaceAll('`', '');
      // A mutation must name a table that holds rows (a Distributed table takes none): a sharded table's
      // local table, or a replicated one.
      const [engine] = (await node.run(`SELECT engine FROM system.tables WHERE database || '.' || name = '${table}'`)).rows!;
      expect(String(engine?.engine), text).toMatch(/MergeTree$/);
      explain = `SELECT count() FROM ${table} WHERE ${m[2]}`;
      kinds.mutation++;
    } else if (/^(CREATE|ALTER TABLE \S+ (ADD|MODIFY)|SET |EXPLAIN AST|USE |SYSTEM )/i.test(text)) {
      continue;
    } else {
      refused.push(`not classified: ${text.slice(0, 200)}`);
      continue;
    }
    const answer = await node.run(`EXPLAIN ${explain}`, s.params);
    if (!answer.ok && answer.code !== 279) refused.push(`${answer.code}: ${answer.message?.slice(0, 300)}\n  ${text.slice(0, 600)}`);
  }
  expect(refused, refused.join('\n\n')).toEqual([]);
  // The flows above did reach the jobs, segments and deletion.
  expect(kinds.select).toBeGreaterThan(100);
  expect(kinds.insertSelect).toBeGreaterThan(10);
  expect(kinds.mutation).toBeGreaterThan(3);
});
