import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { recordingSender, type RecordingSender } from '../helpers/recording-sender.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The entries that come from the customer model and the calendar: a lifecycle transition committed by the
// lifecycle job, and a date trait whose day comes round, fired at `at` in JOURNEYS_TIME_ZONE.

const TIME_ZONE = 'Asia/Tokyo';
let product: TestProduct;
let sender: RecordingSender;
const run = randomUUID().slice(0, 8);

const admin = (method: string, path: string, body?: unknown) => product.request(method, path, body, { auth: `Bearer ${ADMIN_KEY}` });
const profileOf = async (userId: string) =>
  (await product.waitForRows<{ profile_id: string }>(`SELECT profile_id FROM events WHERE user_id = '${userId}' LIMIT 1`, (r) => r.length === 1))[0]!.profile_id;
const sendsTo = (journey: string) => sender.sends.filter((s) => s.journeyId === journey).map((s) => s.profileId);

/** The local date and time in the zone, `minutes` from now. */
function local(ms: number): { date: string; time: string } {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

beforeAll(async () => {
  sender = recordingSender({ greeting: 'email' });
  product = await startTestProduct({ env: { JOURNEYS_TIME_ZONE: TIME_ZONE }, start: { messageSender: sender } });
}, 120_000);

afterAll(async () => {
  await product?.destroy();
});

const steps = { mail: { type: 'send', channel: 'email', template: 'greeting', next: 'done' }, done: { type: 'exit' } };

test('lifecycle entry: the profiles a committed lifecycle run moves to the stage enter, and only they', async () => {
  const id = `newcomers-${run}`;
  expect((await admin('PUT', `/v1/journeys/${id}`, { name: 'welcome buyers', entry: { lifecycle: { to: 'new' } }, start: 'mail', steps })).status).toBe(201);
  const [buyer, browser] = [`buyer-${run}`, `browser-${run}`];
  expect((await product.post('/v1/batch', { batch: [{ type: 'identify', userId: buyer, traits: {} }, { type: 'identify', userId: browser, traits: {} }] })).status).toBe(200);
  await profileOf(browser);
  const first = new Date(Date.now() - 60_000).toISOString();
  expect((await admin('POST', '/v1/jobs/lifecycle/run', { as_of: first })).status).toBe(200);
  expect((await product.post('/v1/track', { userId: buyer, event: 'Order Completed', properties: { order_id: `o-${run}`, revenue: 20 } })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM events WHERE event = 'Order Completed' AND user_id = '${buyer}'`, (r) => r.length === 1);
  const second = await admin('POST', '/v1/jobs/lifecycle/run', { as_of: new Date().toISOString() });
  expect(second.status, JSON.stringify(second.body)).toBe(200);
  const rows = await product.waitForRows<{ kind: string; profile_id: string }>(`SELECT kind, profile_id FROM journey_events FINAL WHERE journey_id = '${id}' AND kind = 'exited'`, (r) => r.length >= 1);
  expect(rows.map((r) => r.profile_id)).toEqual([await profileOf(buyer)]);
  expect(sendsTo(id)).toEqual([await profileOf(buyer)]);
});

test('date entry: at `at` in JOURNEYS_TIME_ZONE, profiles whose trait day is `days_before` ahead enter', async () => {
  // The next whole minute, local; the trait days chosen from that minute's local date.
  const fireAt = Math.ceil((Date.now() + 5_000) / 60_000) * 60_000;
  const { time } = local(fireAt);
  const tomorrow = local(fireAt + 86_400_000).date;
  const today = local(fireAt).date;
  const [due, notDue] = [`birthday-${run}`, `other-day-${run}`];
  const id = `birthdays-${run}`;
  const res = await admin('PUT', `/v1/journeys/${id}`, { name: 'birthday eve', entry: { date_trait: 'birthday', days_before: 1, at: time }, re_entry: { after: { days: 300 } }, start: 'mail', steps });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const birthday = (date: string) => `1990${date.slice(4)}`;
  expect((await product.post('/v1/batch', { batch: [{ type: 'identify', userId: due, traits: { birthday: birthday(tomorrow) } }, { type: 'identify', userId: notDue, traits: { birthday: birthday(today) } }] })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM profile_traits WHERE trait = 'birthday' AND profile_id IN (SELECT profile_id FROM events WHERE user_id IN ('${due}', '${notDue}'))`, (r) => r.length === 2);
  const rows = await product.waitForRows<{ profile_id: string; at: string }>(`SELECT profile_id, toUnixTimestamp64Milli(at) AS at FROM journey_events FINAL WHERE journey_id = '${id}' AND kind = 'entered'`, (r) => r.length >= 1, 120_000);
  expect(rows.map((r) => r.profile_id)).toEqual([await profileOf(due)]);
  expect(Number(rows[0]!.at)).toBeGreaterThanOrEqual(fireAt);
}, 180_000);
