import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recordingSender, type RecordingSender } from '../helpers/recording-sender.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// The journey engine against real Redis and chDB, through the API: events tracked, segments and jobs run,
// the journeys' records read back with SQL. Sends go to a recording sender (tests/helpers/recording-sender.ts)
// in place of journeys/messages/: the tests read the requests it was asked, not how it sent them.

let product: TestProduct;
let sender: RecordingSender;
let readKey: string;
const run = randomUUID().slice(0, 8);

const admin = (method: string, path: string, body?: unknown) => product.request(method, path, body, { auth: `Bearer ${ADMIN_KEY}` });
const put = async (id: string, body: Record<string, unknown>) => {
  const res = await admin('PUT', `/v1/journeys/${id}`, body);
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return res.body.journey;
};

async function batch(...events: Record<string, unknown>[]): Promise<void> {
  const res = await product.post('/v1/batch', { batch: events.map((e) => ({ type: 'track', messageId: randomUUID(), ...e })) });
  expect(res.status).toBe(200);
}
const track = (userId: string, event: string, properties: Record<string, unknown> = {}) => batch({ userId, event, properties });

interface Row {
  kind: string;
  step: string;
  visit: number;
  version: number;
  profile_id: string;
  instance_id: string;
  detail: string;
}
const rowsOf = (journey: string) => product.sql<Row>(`SELECT kind, step, visit, version, profile_id, instance_id, detail FROM journey_events FINAL WHERE journey_id = '${journey}' ORDER BY at, kind`);
const waitRows = (journey: string, done: (rows: Row[]) => boolean, timeoutMs = 30_000) =>
  product.waitForRows<Row>(`SELECT kind, step, visit, version, profile_id, instance_id, detail FROM journey_events FINAL WHERE journey_id = '${journey}' ORDER BY at, kind`, done, timeoutMs);
const has = (rows: Row[], kind: string, step = '') => rows.some((r) => r.kind === kind && (step === '' || r.step === step));
const sendsOf = (journey: string) => sender.sends.filter((s) => s.journeyId === journey);

async function profileOf(userId: string): Promise<string> {
  const [row] = await product.waitForRows<{ profile_id: string }>(`SELECT profile_id FROM events WHERE user_id = '${userId}' LIMIT 1`, (r) => r.length === 1);
  return row!.profile_id;
}

/** A journey entered by `event`, its steps from `start`. */
const journey = (event: string, steps: Record<string, unknown>, more: Record<string, unknown> = {}) => ({ name: `test ${event}`, entry: { event }, start: Object.keys(steps)[0], steps, ...more });
const send = (template: string, next: string) => ({ type: 'send', channel: 'email', template, next });

beforeAll(async () => {
  sender = recordingSender({ 'cart-reminder': 'email', 'sms-offer': 'sms', other: 'email', scripted: 'email' }, ['marketing']);
  product = await startTestProduct({ start: { messageSender: sender } });
  readKey = await product.keys.create('read', 'journeys-reader');
}, 120_000);

afterAll(async () => {
  await product?.destroy();
});

describe('definitions', () => {
  const valid = journey(`Product Added ${run}`, { wait1: { type: 'wait', duration: { minutes: 30 }, next: 'mail' }, mail: { ...send('cart-reminder', 'done'), subscription_group: 'marketing' }, done: { type: 'exit' } });

  test('PUT creates (201) then versions each change; GET reads it with a read key; the same body again makes no version', async () => {
    const created = await admin('PUT', `/v1/journeys/def-${run}`, valid);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.journey).toMatchObject({ id: `def-${run}`, version: 1, paused: false, re_entry: 'after_exit', start: 'wait1' });
    expect((await admin('PUT', `/v1/journeys/def-${run}`, valid)).body.journey.version).toBe(1);
    const changed = await admin('PUT', `/v1/journeys/def-${run}`, { ...valid, name: 'renamed' });
    expect([changed.status, changed.body.journey.version]).toEqual([200, 2]);
    const read = await product.request('GET', `/v1/journeys/def-${run}`, undefined, { auth: `Bearer ${readKey}` });
    expect([read.status, read.body.journey.name]).toEqual([200, 'renamed']);
    const list = await product.request('GET', '/v1/journeys', undefined, { auth: `Bearer ${readKey}` });
    expect(list.body.journeys.map((j: { id: string }) => j.id)).toContain(`def-${run}`);
  });

  test('a definition is refused whole, each fault with its path: unknown and unreachable steps, a cycle without a wait, unknown template, channel, group, segment', async () => {
    const res = await admin('PUT', `/v1/journeys/bad-${run}`, {
      name: 'bad',
      entry: { segment: `no-such-segment-${run}` },
      start: 'check',
      steps: {
        check: { type: 'branch', condition: { type: 'segment', segment_id: `nor-this-${run}` }, yes: 'mail', no: 'ghost' },
        mail: { type: 'send', channel: 'sms', template: 'cart-reminder', subscription_group: 'nope', next: 'again' },
        again: { type: 'send', channel: 'email', template: 'unknown-template', next: 'check' },
        island: { type: 'exit' },
      },
    });
    expect([res.status, res.body.code]).toEqual([400, 'CDP_JOURNEY_INVALID']);
    const paths = (res.body.problems as { path: string }[]).map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        'entry.segment',
        'steps.check.no',
        'steps.island',
        'steps.check',
        'steps.check.condition.segment_id',
        'steps.mail.channel',
        'steps.mail.subscription_group',
        'steps.again.template',
      ].sort(),
    );
    expect((await admin('GET', `/v1/journeys/bad-${run}`)).status).toBe(404);
  });

  test('a body that does not fit the schema is 400 with the path: durations, step types, entry', async () => {
    const bad = await admin('PUT', `/v1/journeys/schema-${run}`, { ...valid, steps: { ...valid.steps, wait1: { type: 'wait', duration: { weeks: 1 }, next: 'mail' } } });
    expect([bad.status, bad.body.code]).toEqual([400, 'CDP_JOURNEY_INVALID']);
    expect(bad.body.problems.map((p: { path: string }) => p.path)).toContain('steps.wait1.duration');
    const zero = await admin('PUT', `/v1/journeys/schema-${run}`, { ...valid, steps: { ...valid.steps, wait1: { type: 'wait', duration: { seconds: 0 }, next: 'mail' } } });
    expect(zero.status).toBe(400);
    const entry = await admin('PUT', `/v1/journeys/schema-${run}`, { ...valid, entry: { date_trait: 'birthday', at: '25:00' } });
    expect(entry.status).toBe(400);
    expect((await admin('PUT', `/v1/journeys/Bad_Id`, valid)).status).toBe(400);
    expect((await admin('PUT', `/v1/journeys/schema-${run}`, 'not json')).status).toBe(400);
  });

  test('every route takes its key: none 401, a read key may not write 403, unknown journeys 404', async () => {
    const id = `def-${run}`;
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/journeys'],
      ['GET', `/v1/journeys/${id}`],
      ['PUT', `/v1/journeys/${id}`, valid],
      ['POST', '/v1/journeys', valid],
      ['DELETE', `/v1/journeys/${id}`],
      ['POST', `/v1/journeys/${id}/pause`],
      ['POST', `/v1/journeys/${id}/resume`],
      ['GET', `/v1/journeys/${id}/stats`],
    ];
    for (const [method, path, body] of routes) expect((await product.request(method, path, body, { auth: null })).status, `${method} ${path}`).toBe(401);
    for (const [method, path, body] of routes.filter(([m]) => m !== 'GET')) expect((await product.request(method, path, body, { auth: `Bearer ${readKey}` })).status, `${method} ${path}`).toBe(403);
    for (const [method, path] of [['GET', '/v1/journeys/nope'], ['DELETE', '/v1/journeys/nope'], ['POST', '/v1/journeys/nope/pause'], ['GET', '/v1/journeys/nope/stats']] as const) {
      const res = await admin(method, path);
      expect([res.status, res.body.code], `${method} ${path}`).toEqual([404, 'CDP_JOURNEY_NOT_FOUND']);
    }
    for (const [method, path] of [['GET', '/v1/journeys/NOT_AN_ID'], ['DELETE', '/v1/journeys/NOT_AN_ID'], ['POST', '/v1/journeys/NOT_AN_ID/pause'], ['POST', '/v1/journeys/NOT_AN_ID/resume'], ['GET', '/v1/journeys/NOT_AN_ID/stats']] as const) {
      expect((await admin(method, path)).status, `${method} ${path}`).toBe(400);
    }
    expect((await admin('POST', '/v1/journeys', { ...valid, id: 'Bad Id' })).status).toBe(400);
    expect((await admin('POST', '/v1/journeys', { ...valid, unknown_field: 1 })).status).toBe(400);
    expect((await admin('POST', '/v1/journeys', { ...valid, id })).status).toBe(409);
  });
});

describe('the engine', () => {
  test('event entry, wait, send with a deterministic message id, exit; stats count each', async () => {
    const id = `flow-${run}`;
    const event = `Cart ${run}`;
    await put(id, journey(event, { wait1: { type: 'wait', duration: { seconds: 1 }, next: 'mail' }, mail: { ...send('cart-reminder', 'done'), subscription_group: 'marketing' }, done: { type: 'exit' } }));
    const user = `flow-user-${run}`;
    await track(user, event, { sku: 'A-1' });
    const rows = await waitRows(id, (r) => has(r, 'exited'));
    const profile = await profileOf(user);
    expect(rows.map((r) => `${r.kind}:${r.step}`)).toEqual(['entered:', 'step:wait1', 'step:mail', 'sent:mail', 'step:done', 'exited:']);
    const [request] = sendsOf(id);
    expect(request).toMatchObject({ journeyId: id, journeyVersion: 1, profileId: profile, channel: 'email', templateId: 'cart-reminder', subscriptionGroup: 'marketing', step: 'mail' });
    expect(request!.messageId).toBe(`${id}.${request!.instanceId}.mail.1`);
    expect(request!.entryEvent).toMatchObject({ event, properties: { sku: 'A-1' } });
    const stats = await admin('GET', `/v1/journeys/${id}/stats`);
    expect(stats.body.stats).toMatchObject({ entered: 1, active: 0, exited: 1, sent: 1, steps: [{ step: 'wait1', reached: 1 }, { step: 'mail', reached: 1 }, { step: 'done', reached: 1 }] });
  });

  test('wait_for: the event moves on at once, no event moves on at the timeout', async () => {
    const id = `waitfor-${run}`;
    const event = `Checkout ${run}`;
    const paid = `Paid ${run}`;
    await put(id, journey(event, { wait: { type: 'wait_for', event: paid, timeout: { seconds: 6 }, on_event: 'thanks', on_timeout: 'remind' }, thanks: send('other', 'done'), remind: send('cart-reminder', 'done'), done: { type: 'exit' } }));
    const [payer, idler] = [`payer-${run}`, `idler-${run}`];
    await track(payer, event);
    await track(idler, event);
    const payerProfile = await profileOf(payer);
    await waitRows(id, (r) => r.filter((x) => x.kind === 'step' && x.step === 'wait').length === 2);
    await track(payer, paid);
    const rows = await waitRows(id, (r) => r.filter((x) => x.kind === 'exited').length === 2);
    const sentBy = (p: string) => rows.filter((r) => r.kind === 'sent' && r.profile_id === p).map((r) => r.step);
    expect(sentBy(payerProfile)).toEqual(['thanks']);
    expect(sentBy(await profileOf(idler))).toEqual(['remind']);
  });

  test('merged profiles: the customer\'s events under the surviving profile resolve the wait_for and the goal of an instance entered under the merged one', async () => {
    const id = `merged-${run}`;
    const event = `Cart ${run}`;
    const paid = `Bought ${run}`;
    await put(id, journey(event, { wait: { type: 'wait_for', event: paid, timeout: { days: 1 }, on_event: 'thanks', on_timeout: 'done' }, thanks: send('other', 'done'), done: { type: 'exit' } }, { goal: { event: paid, within: { days: 7 } } }));
    // The known customer first, so that theirs is the older profile and survives the merge.
    const [user, visitor] = [`member-${run}`, `visitor-${run}`];
    await track(user, `Signed Up ${run}`);
    const survivor = await profileOf(user);
    expect((await product.post('/v1/track', { anonymousId: visitor, event, messageId: randomUUID() })).status).toBe(200);
    const [entered] = await waitRows(id, (r) => r.some((x) => x.kind === 'step' && x.step === 'wait'));
    expect(entered!.profile_id).not.toBe(survivor);
    // The visitor logs in: their profile is merged into the member's, and the purchase arrives under the member.
    expect((await product.post('/v1/identify', { userId: user, anonymousId: visitor, messageId: randomUUID() })).status).toBe(200);
    await product.waitForRows(`SELECT 1 FROM profile_overrides_current WHERE old_profile_id = '${entered!.profile_id}' AND profile_id = '${survivor}'`, (r) => r.length === 1);
    await track(user, paid);
    const rows = await waitRows(id, (r) => r.some((x) => x.kind === 'exited') && r.some((x) => x.kind === 'goal'));
    expect(rows.filter((r) => r.kind === 'sent').map((r) => r.step)).toEqual(['thanks']);
    expect(rows.find((r) => r.kind === 'goal')!.instance_id).toBe(entered!.instance_id);
  });

  test('branch: a segment-language condition on the one profile decides yes or no', async () => {
    const id = `branch-${run}`;
    const event = `Visit ${run}`;
    await put(id, journey(event, { check: { type: 'branch', condition: { type: 'trait', trait: 'plan', op: 'eq', value: 'gold' }, yes: 'gold', no: 'other' }, gold: send('cart-reminder', 'done'), other: send('other', 'done'), done: { type: 'exit' } }));
    const [gold, silver] = [`gold-${run}`, `silver-${run}`];
    const res = await product.post('/v1/batch', { batch: [{ type: 'identify', userId: gold, traits: { plan: 'gold' } }, { type: 'identify', userId: silver, traits: { plan: 'silver' } }] });
    expect(res.status).toBe(200);
    await product.waitForRows(`SELECT 1 FROM profile_traits WHERE trait = 'plan' AND value IN ('gold', 'silver') AND profile_id IN (SELECT profile_id FROM events WHERE user_id IN ('${gold}', '${silver}'))`, (r) => r.length === 2);
    await track(gold, event);
    await track(silver, event);
    const rows = await waitRows(id, (r) => r.filter((x) => x.kind === 'exited').length === 2);
    const detailOf = async (user: string) => {
      const p = await profileOf(user);
      return JSON.parse(rows.find((r) => r.kind === 'step' && r.step === 'check' && r.profile_id === p)!.detail).branch;
    };
    expect([await detailOf(gold), await detailOf(silver)]).toEqual(['yes', 'no']);
    expect(rows.filter((r) => r.kind === 'sent').map((r) => r.step).sort()).toEqual(['gold', 'other']);
  });

  test('exit_on leaves at once, during a long wait; the goal counts when its event comes within the window', async () => {
    const id = `exit-${run}`;
    const event = `Browse ${run}`;
    const order = `Order ${run}`;
    await put(id, journey(event, { nap: { type: 'wait', duration: { hours: 1 }, next: 'mail' }, mail: send('cart-reminder', 'done'), done: { type: 'exit' } }, { exit_on: { event: order }, goal: { event: order, within: { days: 1 } } }));
    const user = `exit-user-${run}`;
    await track(user, event);
    // Past the wait step, the instance waits an hour before `mail`: that is where it leaves.
    await waitRows(id, (r) => has(r, 'step', 'nap'));
    expect((await admin('GET', `/v1/journeys/${id}/stats`)).body.stats.active).toBe(1);
    await track(user, order);
    const rows = await waitRows(id, (r) => has(r, 'exited') && has(r, 'goal'));
    expect(JSON.parse(rows.find((r) => r.kind === 'exited')!.detail)).toMatchObject({ reason: 'exit_on', at_step: 'mail' });
    const stats = (await admin('GET', `/v1/journeys/${id}/stats`)).body.stats;
    expect(stats).toMatchObject({ entered: 1, active: 0, exited: 1, reached_goal: 1, goal_rate: 1, sent: 0 });
  });

  test('re-entry: never lets a profile in once; after_exit again once it left; pause lets nobody in until resumed', async () => {
    const steps = { done: { type: 'exit' } };
    const [never, again, paused, marker] = [`never-${run}`, `again-${run}`, `paused-${run}`, `marker-${run}`] as const;
    const event = `Enter ${run}`;
    await put(never, journey(event, steps, { re_entry: 'never' }));
    await put(again, journey(event, steps, { re_entry: 'after_exit' }));
    await put(paused, journey(event, steps));
    await put(marker, journey(`Marker ${run}`, steps));
    expect((await admin('POST', `/v1/journeys/${paused}/pause`)).body.journey.paused).toBe(true);
    const user = `reentry-${run}`;
    await track(user, event);
    await waitRows(again, (r) => has(r, 'exited'));
    await waitRows(never, (r) => has(r, 'exited'));
    // In one batch (one load job, handled in order): the marker's entry comes after the second entry's.
    await batch({ userId: user, event }, { userId: user, event: `Marker ${run}` });
    await waitRows(marker, (r) => has(r, 'entered'));
    await waitRows(again, (r) => r.filter((x) => x.kind === 'entered').length === 2);
    expect((await rowsOf(never)).filter((r) => r.kind === 'entered')).toHaveLength(1);
    expect(await rowsOf(paused)).toHaveLength(0);
    expect((await admin('POST', `/v1/journeys/${paused}/resume`)).body.journey.paused).toBe(false);
    await track(user, event);
    await waitRows(paused, (r) => has(r, 'entered'));
  });

  test('re-entry after a duration: refused while it lasts', async () => {
    const id = `after-${run}`;
    const event = `Later ${run}`;
    await put(id, journey(event, { done: { type: 'exit' } }, { re_entry: { after: { hours: 1 } } }));
    await put(`after-marker-${run}`, journey(`After marker ${run}`, { done: { type: 'exit' } }));
    const user = `after-user-${run}`;
    await track(user, event);
    await waitRows(id, (r) => has(r, 'exited'));
    await batch({ userId: user, event }, { userId: user, event: `After marker ${run}` });
    await waitRows(`after-marker-${run}`, (r) => has(r, 'entered'));
    expect((await rowsOf(id)).filter((r) => r.kind === 'entered')).toHaveLength(1);
  });

  test("sends: suppressed and failed are recorded with their reason and the instance goes on; held waits until `until`; a retryable failure retries the same message id", async () => {
    const id = `outcomes-${run}`;
    const event = `Outcomes ${run}`;
    await put(id, journey(event, { a: send('scripted', 'b'), b: send('scripted', 'c'), c: send('scripted', 'd'), d: send('scripted', 'done'), done: { type: 'exit' } }));
    sender.script('scripted', [
      { status: 'suppressed', reason: 'unsubscribed' },
      { status: 'failed', reason: 'mailbox refused', retryable: false },
      { status: 'held', reason: 'quiet_hours', until: Date.now() + 1500 },
      { status: 'failed', reason: 'smtp down', retryable: true },
    ]);
    await track(`outcomes-user-${run}`, event);
    const rows = await waitRows(id, (r) => has(r, 'exited'));
    expect(rows.filter((r) => r.kind !== 'step').map((r) => `${r.kind}:${r.step}:${JSON.parse(r.detail).reason ?? ''}`)).toEqual(['entered::', 'suppressed:a:unsubscribed', 'failed:b:mailbox refused', 'sent:c:', 'sent:d:', 'exited::exit_step']);
    const asked = sendsOf(id).map((s) => s.messageId.split('.').slice(-2).join('.'));
    // c: held, then (at `until`) refused retryably, then retried with backoff: three asks, one message id.
    expect(asked).toEqual(['a.1', 'b.1', 'c.1', 'c.1', 'c.1', 'd.1']);
    const stats = (await admin('GET', `/v1/journeys/${id}/stats`)).body.stats;
    expect(stats).toMatchObject({ sent: 2, suppressed: { unsubscribed: 1 }, failed: { 'mailbox refused': 1 } });
  });

  test('a new version applies to new entries; an instance finishes on the version it entered with', async () => {
    const id = `versions-${run}`;
    const event = `Versions ${run}`;
    const v1 = journey(event, { nap: { type: 'wait', duration: { seconds: 2 }, next: 'mail' }, mail: send('cart-reminder', 'done'), done: { type: 'exit' } });
    await put(id, v1);
    await track(`v1-user-${run}`, event);
    await waitRows(id, (r) => has(r, 'step', 'nap'));
    await put(id, { ...v1, steps: { ...v1.steps, mail: send('other', 'done') } });
    await track(`v2-user-${run}`, event);
    await waitRows(id, (r) => r.filter((x) => x.kind === 'exited').length === 2);
    const byVersion = sendsOf(id).map((s) => `${s.journeyVersion}:${s.templateId}`).sort();
    expect(byVersion).toEqual(['1:cart-reminder', '2:other']);
  });

  test('segment entry: profiles a committed run enters start an instance', async () => {
    const segment = `vips-${run}`;
    const user = `vip-${run}`;
    expect((await admin('PUT', `/v1/segments/${segment}`, { name: 'VIPs', conditions: { type: 'trait', trait: 'vip', op: 'eq', value: run } })).status).toBe(201);
    const id = `segment-entry-${run}`;
    await put(id, { name: 'welcome vips', entry: { segment }, start: 'mail', steps: { mail: send('other', 'done'), done: { type: 'exit' } } });
    expect((await product.post('/v1/identify', { userId: user, traits: { vip: run } })).status).toBe(200);
    await product.waitForRows(`SELECT 1 FROM profile_traits WHERE trait = 'vip' AND value = '${run}'`, (r) => r.length === 1);
    expect((await admin('POST', `/v1/segments/${segment}/run`)).status).toBe(200);
    const rows = await waitRows(id, (r) => has(r, 'exited'));
    expect(rows[0]!.profile_id).toBe(await profileOf(user));
  });

  test('deleting a customer removes their instances, pending steps and journey_events', async () => {
    const id = `erase-${run}`;
    const event = `Erase ${run}`;
    await put(id, journey(event, { nap: { type: 'wait', duration: { days: 3 }, next: 'done' }, done: { type: 'exit' } }));
    const user = `erased-${run}`;
    await track(user, event);
    await waitRows(id, (r) => has(r, 'step', 'nap'));
    const profile = await profileOf(user);
    const delayed = async () => (await product.sql<{ n: string }>(`SELECT count() AS n FROM journey_events WHERE profile_id = '${profile}'`))[0]!.n;
    expect(Number(await delayed())).toBeGreaterThan(0);
    expect((await admin('GET', `/v1/journeys/${id}/stats`)).body.stats.active).toBe(1);
    const res = await admin('DELETE', `/v1/profiles/${profile}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Number(await delayed())).toBe(0);
    expect((await admin('GET', `/v1/journeys/${id}/stats`)).body.stats.active).toBe(0);
    const { Queue } = await import('bullmq');
    const queue = new Queue('journeys', { connection: { path: product.redis.local?.socket }, prefix: product.config.QUEUE_PREFIX });
    const pending = (await queue.getJobs(['delayed', 'wait'])).filter((j) => j?.data?.p === profile);
    await queue.close();
    expect(pending).toHaveLength(0);
  });
});
