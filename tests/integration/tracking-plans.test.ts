import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_KEY, basicAuth, startTestProduct, tempDir, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// Tracking plans end to end: `full` holds ClickHouse and loads, `apiOnly` runs the tracking API beside it on
// the same Redis and queue. Plans are written through the API, reach both processes through Redis, and each
// event of a planned source is checked at the door; violations load with the events.

const dataDir = tempDir();
const SOURCES = ['allow', 'drop', 'block', 'hot', 'conflict', 'plain', 'cdp', 'versions', 'erase'] as const;
const keyOf = (source: string) => `wk_plans_${source}`;
let full: TestProduct;
let apiOnly: TestProduct;
let readKey: string;

beforeAll(async () => {
  const env = { CDP_WRITE_KEYS: SOURCES.map((s) => `${keyOf(s)}:${s}`).join(','), QUEUE_PREFIX: `{t${randomBytes(4).toString('hex')}}` };
  full = await startTestProduct({ roles: ['api', 'workers'], dataDir, env });
  apiOnly = await startTestProduct({ roles: ['api'], dataDir, env });
  const read = await call(full, 'POST', '/v1/keys', { scope: 'read', name: 'analyst' });
  readKey = read.body.key.value;
});

afterAll(async () => {
  // apiOnly first: full started the private Redis and stops it.
  await apiOnly?.stop();
  await full?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const call = (product: TestProduct, method: string, path: string, body?: unknown, auth: string | null = `Bearer ${ADMIN_KEY}`) =>
  product.request(method, path, body, { auth });

const ORDER = {
  type: 'object',
  required: ['order_id', 'total'],
  additionalProperties: false,
  properties: {
    order_id: { type: 'string' },
    total: { type: 'number', minimum: 0 },
    currency: { enum: ['EUR', 'USD'] },
    email: { type: 'string', format: 'email' },
  },
};
const RULES = [
  { type: 'track', event: 'Order Completed', properties: ORDER },
  { type: 'identify', traits: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } } },
  { type: 'page', properties: { type: 'object', properties: { title: { type: 'string' } } } },
];
const planBody = (source: string, violations: string, unplanned = 'allow', extra: Record<string, unknown> = {}) => ({
  name: `plan of ${source}`,
  sources: source === '*' ? [] : [source],
  violations,
  unplanned_events: unplanned,
  rules: RULES,
  ...extra,
});

/** PUTs a plan and waits until both processes apply that version. */
async function putPlan(id: string, body: unknown): Promise<{ version: number; sources: string[] }> {
  const res = await call(full, 'PUT', `/v1/tracking-plans/${id}`, body);
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  const { version, sources } = res.body.plan;
  const probe = sources[0] ?? 'plain';
  for (const product of [full, apiOnly]) await waitFor(`plan ${id} v${version} in force`, () => product.trackingPlans!.forSource(probe)?.version === version, 10_000);
  return { version, sources };
}

async function deletePlan(id: string, source: string) {
  await call(full, 'DELETE', `/v1/tracking-plans/${id}`);
  for (const product of [full, apiOnly]) await waitFor(`plan ${id} gone`, () => product.trackingPlans!.forSource(source)?.id !== id, 10_000);
}

const run = () => randomUUID().slice(0, 8);
const order = (messageId: string, properties: Record<string, unknown>, userId = `u-${messageId}`) => ({ type: 'track', event: 'Order Completed', messageId, userId, properties });
const post = (product: TestProduct, source: string, route: string, body: unknown) => product.post(route, body, { auth: basicAuth(keyOf(source)) });

type Violation = { message_id: string; violation: string; path: string; plan_id: string; plan_version: number; profile_id: string; event: string; type: string; source_id: string; message: string };
const violationsOf = (ids: string[], count: number) =>
  full.waitForRows<Violation>(`SELECT * FROM tracking_violations WHERE message_id IN (${ids.map((i) => `'${i}'`).join(',')}) ORDER BY message_id, path, violation`, (rows) => rows.length >= count);

describe('routes', () => {
  test('every route takes its key: none 401, a read key may read and not write', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/tracking-plans'],
      ['GET', '/v1/tracking-plans/any'],
      ['POST', '/v1/tracking-plans', planBody('plain', 'allow')],
      ['PUT', '/v1/tracking-plans/any', planBody('plain', 'allow')],
      ['DELETE', '/v1/tracking-plans/any'],
    ];
    for (const [method, path, body] of routes) {
      expect((await call(full, method, path, body, null)).status, `${method} ${path}`).toBe(401);
      const withRead = await call(full, method, path, body, `Bearer ${readKey}`);
      expect(withRead.status, `${method} ${path}`).toBe(method === 'GET' ? (path.endsWith('/any') ? 404 : 200) : 403);
      expect((await call(full, method, path, body, basicAuth(keyOf('plain')))).status, `${method} ${path} with a write key`).toBe(401);
    }
  });

  test('bad input: 400 with what is wrong, 404 for an unknown plan, 409 for POST on an existing id', async () => {
    const id = `bad-${run()}`;
    const noName = await call(full, 'PUT', `/v1/tracking-plans/${id}`, { rules: [] });
    expect([noName.status, noName.body.code, noName.body.message]).toEqual([400, 'invalid_request', expect.stringMatching(/name/)]);
    expect((await call(full, 'PUT', '/v1/tracking-plans/Not%20An%20Id', planBody('plain', 'allow'))).status).toBe(400);
    expect((await call(full, 'GET', '/v1/tracking-plans/Not%20An%20Id')).status).toBe(400);
    const mode = await call(full, 'PUT', `/v1/tracking-plans/${id}`, planBody('plain', 'warn'));
    expect([mode.status, mode.body.message]).toEqual([400, expect.stringMatching(/^violations: /)]);
    const unknownField = await call(full, 'PUT', `/v1/tracking-plans/${id}`, { ...planBody('plain', 'allow'), strict: true });
    expect(unknownField.status).toBe(400);
    // `infer` names GET /v1/tracking-plans/infer: a plan so named could never be read back.
    const infer = await call(full, 'PUT', '/v1/tracking-plans/infer', planBody('plain', 'allow'));
    expect([infer.status, infer.body.code, infer.body.message]).toEqual([400, 'invalid_request', expect.stringMatching(/inference route/)]);
    expect((await call(full, 'POST', '/v1/tracking-plans', { ...planBody('plain', 'allow'), id: 'infer' })).status).toBe(400);
    const mismatch = await call(full, 'PUT', `/v1/tracking-plans/${id}`, { ...planBody('plain', 'allow'), id: 'other' });
    expect([mismatch.status, mismatch.body.code]).toEqual([400, 'invalid_request']);
    const cdp = await call(full, 'PUT', `/v1/tracking-plans/${id}`, planBody('cdp', 'allow'));
    expect([cdp.status, cdp.body.message]).toEqual([400, expect.stringMatching(/never checked/)]);

    // An invalid JSON Schema: ajv's error, at its path in the plan; nothing stored.
    const invalid = await call(full, 'PUT', `/v1/tracking-plans/${id}`, { ...planBody('plain', 'allow'), rules: [{ type: 'track', event: 'A', properties: { type: 'object', properties: { n: { minimum: 'zero' } } } }] });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ success: false, code: 'invalid_tracking_plan', problems: [{ path: 'rules.0.properties.properties.n.minimum', message: expect.stringMatching(/must be number/) }] });
    expect((await call(full, 'GET', `/v1/tracking-plans/${id}`)).status).toBe(404);
    expect((await call(full, 'DELETE', `/v1/tracking-plans/${id}`)).body.code).toBe('tracking_plan_not_found');

    const created = await call(full, 'POST', '/v1/tracking-plans', { ...planBody('plain', 'allow'), id });
    expect(created.status).toBe(201);
    try {
      const again = await call(full, 'POST', '/v1/tracking-plans', { ...planBody('plain', 'allow'), id });
      expect([again.status, again.body.code]).toEqual([409, 'already_exists']);
      const generated = await call(full, 'POST', '/v1/tracking-plans', { name: 'no source', sources: ['nowhere'], rules: [] });
      expect([generated.status, generated.body.plan.id]).toEqual([201, expect.stringMatching(/^plan_[0-9a-f]{12}$/)]);
      await call(full, 'DELETE', `/v1/tracking-plans/${generated.body.plan.id}`);
    } finally {
      await call(full, 'DELETE', `/v1/tracking-plans/${id}`);
    }
  });

  test('versions: the same body again keeps the version, a change makes the next; GET answers the current one', async () => {
    const id = `versions-${run()}`;
    try {
      const first = await call(full, 'PUT', `/v1/tracking-plans/${id}`, planBody('versions', 'allow'));
      expect([first.status, first.body.plan.version]).toEqual([201, 1]);
      const same = await call(full, 'PUT', `/v1/tracking-plans/${id}`, planBody('versions', 'allow'));
      expect([same.status, same.body.plan]).toEqual([200, first.body.plan]);
      const changed = await call(full, 'PUT', `/v1/tracking-plans/${id}`, planBody('versions', 'block'));
      expect([changed.status, changed.body.plan.version, changed.body.plan.violations]).toEqual([200, 2, 'block']);
      const read = await call(full, 'GET', `/v1/tracking-plans/${id}`, undefined, `Bearer ${readKey}`);
      expect(read.body.plan).toEqual(changed.body.plan);
      expect(read.body.plan.rules).toEqual(RULES);
      const list = await call(full, 'GET', '/v1/tracking-plans', undefined, `Bearer ${readKey}`);
      expect(list.body.plans.find((p: { id: string }) => p.id === id)).toEqual(changed.body.plan);
      expect(await full.sql(`SELECT version, violations, deleted FROM tracking_plans WHERE plan_id = '${id}' ORDER BY version`)).toEqual([
        { version: 1, violations: 'allow', deleted: 0 },
        { version: 2, violations: 'block', deleted: 0 },
      ]);
    } finally {
      await call(full, 'DELETE', `/v1/tracking-plans/${id}`);
    }
    expect((await call(full, 'GET', `/v1/tracking-plans/${id}`)).status).toBe(404);
  });

  test('one plan per source: a second plan naming a covered source, or covering every source, is refused naming the other', async () => {
    const id = `conflict-${run()}`;
    try {
      await putPlan(id, planBody('conflict', 'allow'));
      const overlap = await call(full, 'PUT', `/v1/tracking-plans/${id}-2`, { ...planBody('conflict', 'allow'), sources: ['nowhere', 'conflict'] });
      expect([overlap.status, overlap.body.code, overlap.body.plan_id, overlap.body.source]).toEqual([409, 'source_has_plan', id, 'conflict']);
      expect(overlap.body.message).toMatch(new RegExp(`source "conflict" is already covered by tracking plan "${id}"`));
      const every = await call(full, 'POST', '/v1/tracking-plans', { ...planBody('*', 'allow'), id: `${id}-3` });
      expect([every.status, every.body.code, every.body.plan_id]).toEqual([409, 'source_has_plan', id]);
      // The plan itself may change its sources.
      expect((await call(full, 'PUT', `/v1/tracking-plans/${id}`, { ...planBody('conflict', 'allow'), sources: ['conflict', 'nowhere'] })).status).toBe(200);
    } finally {
      await call(full, 'DELETE', `/v1/tracking-plans/${id}`);
    }
    // Once deleted, its source is free.
    const free = await call(full, 'PUT', `/v1/tracking-plans/${id}-2`, planBody('conflict', 'allow'));
    expect(free.status).toBe(201);
    await call(full, 'DELETE', `/v1/tracking-plans/${id}-2`);
  });
});

describe('at ingest', () => {
  test('block: bad events of a batch refused by index with reason tracking_plan, kept in rejected_events; good ones load', async () => {
    const id = `block-${run()}`;
    await putPlan(id, planBody('block', 'block'));
    try {
      const r = run();
      const batch = [
        order(`${r}-good`, { order_id: 'o1', total: 10, currency: 'EUR' }),
        order(`${r}-type`, { order_id: 'o2', total: '10' }),
        { type: 'track', event: 'Order Complete', messageId: `${r}-typo`, userId: 'u', properties: { order_id: 'o3', total: 1 } },
        order(`${r}-enum`, { order_id: 'o4', total: 1, currency: 'GBP', coupon: 'X' }),
        { type: 'identify', messageId: `${r}-identify`, userId: 'u', traits: {} },
        { type: 'alias', messageId: `${r}-alias`, userId: 'u', previousId: 'v' },
      ];
      const res = await post(apiOnly, 'block', '/v1/batch', { batch });
      expect(res.status).toBe(200);
      expect(res.body.rejected).toEqual([
        { index: 1, reason: 'tracking_plan', errors: [{ path: 'properties.total', code: 'datatype_mismatch', message: 'must be number' }] },
        {
          index: 3,
          reason: 'tracking_plan',
          errors: [
            { path: 'properties.coupon', code: 'additional_property', message: 'must NOT have additional properties' },
            { path: 'properties.currency', code: 'format_mismatch', message: 'must be equal to one of the allowed values' },
          ],
        },
        { index: 4, reason: 'tracking_plan', errors: [{ path: 'traits.email', code: 'required_missing', message: "must have required property 'email'" }] },
      ]);
      // An unplanned event with unplanned_events allow goes through, recorded.
      const loaded = await full.waitForRows<{ message_id: string }>(`SELECT message_id FROM events WHERE message_id LIKE '${r}-%' ORDER BY message_id`, (rows) => rows.length === 3);
      expect(loaded.map((e) => e.message_id)).toEqual([`${r}-alias`, `${r}-good`, `${r}-typo`]);
      const refused = await full.waitForRows<{ batch_index: number; reason: string; errors: string }>(`SELECT batch_index, reason, errors FROM rejected_events WHERE position(payload, '${r}-') > 0 ORDER BY batch_index`, (rows) => rows.length === 3);
      expect(refused.map((x) => [x.batch_index, x.reason])).toEqual([[1, 'tracking_plan'], [3, 'tracking_plan'], [4, 'tracking_plan']]);
      expect(JSON.parse(refused[0]!.errors)).toEqual(res.body.rejected[0].errors);
      const violations = await violationsOf([`${r}-typo`], 1);
      expect(violations.map((v) => [v.violation, v.path, v.event, v.plan_id, v.plan_version])).toEqual([['unplanned_event', 'event', 'Order Complete', id, 1]]);

      // A single call refused by the plan answers 400 like any invalid event.
      const one = await post(full, 'block', '/v1/track', order(`${r}-single`, { total: 1 }));
      expect([one.status, one.body.code, one.body.errors]).toEqual([400, 'invalid_events', [{ index: 0, reason: 'tracking_plan', errors: [{ path: 'properties.order_id', code: 'required_missing', message: "must have required property 'order_id'" }] }]]);

      // unplanned_events block refuses the unplanned event.
      await putPlan(id, planBody('block', 'block', 'block'));
      const unplanned = await post(full, 'block', '/v1/track', { event: 'Order Complete', userId: 'u', properties: {} });
      expect(unplanned.body.errors).toEqual([{ index: 0, reason: 'tracking_plan', errors: [{ path: 'event', code: 'unplanned_event', message: `"Order Complete" is not an event of tracking plan "${id}"` }] }]);
      const metrics = await (await fetch(`${full.url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`cdp_tracking_violations_total\\{plan="${id}",violation="unplanned_event"\\} 1`));
      expect(metrics).toMatch(/cdp_events_rejected_total\{reason="tracking_plan"\} [1-9]/);
    } finally {
      await deletePlan(id, 'block');
    }
  });

  test('allow: every event accepted as sent, every violation recorded under the profile the event resolved to', async () => {
    const id = `allow-${run()}`;
    await putPlan(id, planBody('allow', 'allow'));
    try {
      const r = run();
      const batch = [
        order(`${r}-good`, { order_id: 'o1', total: 10 }),
        order(`${r}-bad`, { order_id: 5, total: -1, email: 'nope', extra: true }),
        { type: 'track', event: 'Unplanned', messageId: `${r}-unplanned`, userId: 'u', properties: { a: 1 } },
        { type: 'page', name: 'Home', messageId: `${r}-page`, anonymousId: 'anon', properties: { title: 7 } },
      ];
      const res = await post(full, 'allow', '/v1/batch', { batch });
      expect(res.body).toEqual({ success: true });
      const events = await full.waitForRows<{ message_id: string; properties: string; profile_id: string }>(`SELECT message_id, properties, profile_id FROM events WHERE message_id LIKE '${r}-%' ORDER BY message_id`, (rows) => rows.length === 4);
      expect(JSON.parse(events.find((e) => e.message_id === `${r}-bad`)!.properties)).toEqual({ order_id: 5, total: -1, email: 'nope', extra: true });
      const violations = await violationsOf([`${r}-bad`, `${r}-unplanned`, `${r}-page`, `${r}-good`], 6);
      expect(violations.map((v) => [v.message_id.slice(9), v.violation, v.path])).toEqual([
        ['bad', 'format_mismatch', 'properties.email'],
        ['bad', 'additional_property', 'properties.extra'],
        ['bad', 'datatype_mismatch', 'properties.order_id'],
        ['bad', 'format_mismatch', 'properties.total'],
        ['page', 'datatype_mismatch', 'properties.title'],
        ['unplanned', 'unplanned_event', 'event'],
      ]);
      const bad = events.find((e) => e.message_id === `${r}-bad`)!;
      expect(bad.profile_id).not.toBe('');
      for (const v of violations.filter((x) => x.message_id === `${r}-bad`)) expect([v.profile_id, v.source_id, v.type, v.event, v.plan_id]).toEqual([bad.profile_id, 'allow', 'track', 'Order Completed', id]);
      expect(violations.find((v) => v.message_id === `${r}-page`)!.event).toBe('Home');
    } finally {
      await deletePlan(id, 'allow');
    }
  });

  test('drop_properties: accepted without the offending properties, violations recorded', async () => {
    const id = `drop-${run()}`;
    await putPlan(id, planBody('drop', 'drop_properties'));
    try {
      const r = run();
      const res = await post(apiOnly, 'drop', '/v1/batch', {
        batch: [
          order(`${r}-bad`, { order_id: 'o1', total: '12', currency: 'GBP', email: 'ok@shop.test', extra: { deep: 1 } }),
          { type: 'identify', messageId: `${r}-identify`, userId: `u-${r}`, traits: { email: 'not-an-email', name: 'Ann' } },
        ],
      });
      expect(res.body).toEqual({ success: true });
      const events = await full.waitForRows<{ message_id: string; properties: string; traits: string }>(`SELECT message_id, properties, traits FROM events WHERE message_id LIKE '${r}-%' ORDER BY message_id`, (rows) => rows.length === 2);
      expect(JSON.parse(events[0]!.properties)).toEqual({ order_id: 'o1', email: 'ok@shop.test' });
      expect(JSON.parse(events[1]!.traits)).toEqual({ name: 'Ann' });
      const violations = await violationsOf([`${r}-bad`, `${r}-identify`], 4);
      expect(violations.map((v) => [v.message_id.slice(9), v.violation, v.path])).toEqual([
        ['bad', 'format_mismatch', 'properties.currency'],
        ['bad', 'additional_property', 'properties.extra'],
        ['bad', 'datatype_mismatch', 'properties.total'],
        ['identify', 'format_mismatch', 'traits.email'],
      ]);
    } finally {
      await deletePlan(id, 'drop');
    }
  });

  test('a source without a plan and the cdp source are untouched, even by a plan covering every source', async () => {
    const r = run();
    const bad = (source: string) => post(apiOnly, source, '/v1/track', { event: 'Whatever', messageId: `${r}-${source}`, userId: 'u', properties: { total: 'x' } });
    expect(full.trackingPlans!.forSource('plain')).toBeUndefined();
    expect((await bad('plain')).body).toEqual({ success: true });
    const id = `every-${run()}`;
    await putPlan(id, { ...planBody('*', 'block', 'block') });
    try {
      expect((await bad('cdp')).body).toEqual({ success: true });
      const checked = await post(apiOnly, 'plain', '/v1/track', { event: 'Whatever', messageId: `${r}-checked`, userId: 'u' });
      expect([checked.status, checked.body.errors[0].reason]).toEqual([400, 'tracking_plan']);
    } finally {
      await deletePlan(id, 'plain');
    }
    await full.waitForRows(`SELECT message_id FROM events WHERE message_id IN ('${r}-plain', '${r}-cdp')`, (rows) => rows.length === 2);
    expect(await full.sql(`SELECT count() AS n FROM tracking_violations WHERE message_id IN ('${r}-plain', '${r}-cdp')`)).toEqual([{ n: '0' }]);
  });

  test('hot reload: a plan change reaches the api-only process within seconds, and so does its deletion', async () => {
    const id = `hot-${run()}`;
    const res = await call(full, 'PUT', `/v1/tracking-plans/${id}`, planBody('hot', 'allow'));
    expect(res.status).toBe(201);
    const unplanned = () => post(apiOnly, 'hot', '/v1/track', { event: 'Not Planned', userId: 'u' });
    try {
      await waitFor('v1 in the api-only process', () => apiOnly.trackingPlans!.forSource('hot')?.version === 1, 10_000);
      expect((await unplanned()).status).toBe(200);
      const changed = await call(full, 'PUT', `/v1/tracking-plans/${id}`, planBody('hot', 'allow', 'block'));
      expect(changed.body.plan.version).toBe(2);
      const started = Date.now();
      await waitFor('v2 refusing unplanned events in the api-only process', async () => (await unplanned()).status === 400, 5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await call(full, 'DELETE', `/v1/tracking-plans/${id}`);
    }
    await waitFor('the deletion in the api-only process', async () => (await unplanned()).status === 200, 5_000);
  });

  test("deleting a customer removes their tracking_violations rows, and only theirs", async () => {
    const id = `erase-${run()}`;
    await putPlan(id, planBody('erase', 'allow'));
    try {
      const r = run();
      const [gone, kept] = [`gone-${r}`, `kept-${r}`];
      const res = await post(full, 'erase', '/v1/batch', {
        batch: [order(`${r}-gone`, { total: 'x' }, gone), { type: 'identify', messageId: `${r}-gone-id`, userId: gone, traits: {} }, order(`${r}-kept`, { total: 'x' }, kept)],
      });
      expect(res.body).toEqual({ success: true });
      const ids = [`${r}-gone`, `${r}-gone-id`, `${r}-kept`];
      const before = await violationsOf(ids, 5);
      const profile = before.find((v) => v.message_id === `${r}-gone`)!.profile_id;
      expect(before.filter((v) => v.profile_id === profile).map((v) => v.message_id)).toEqual([`${r}-gone`, `${r}-gone`, `${r}-gone-id`]);
      const deleted = await fetch(`${full.url}/v1/profiles/${profile}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(deleted.status).toBe(200);
      const after = await full.sql<{ message_id: string }>(`SELECT message_id FROM tracking_violations WHERE message_id IN (${ids.map((i) => `'${i}'`).join(',')}) ORDER BY message_id, path`);
      expect(after.map((v) => v.message_id)).toEqual([`${r}-kept`, `${r}-kept`]);
    } finally {
      await deletePlan(id, 'erase');
    }
  });
});
