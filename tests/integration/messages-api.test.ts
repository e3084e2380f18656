import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_KEY, WRITE_KEY, basicAuth, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The messages' management routes (templates, subscription groups, previews): the resource convention, Liquid
// checked at the write, bad input and keys on every route. And quiet hours, which hold a send until they end.

const ZONE = 'Asia/Kolkata';
const HOUR = 3_600_000;
const KOLKATA_OFFSET = 5.5 * HOUR;
let product: TestProduct;
let readKey: string;
let audienceKey: string;
const run = randomUUID().slice(0, 8);
// Quiet from this local hour for two hours: the send below falls in them whichever of the two it runs in.
const localHour = new Date(Date.now() + KOLKATA_OFFSET).getUTCHours();
const quiet = `${localHour}-${(localHour + 2) % 24}`;

const call = (method: string, route: string, body?: unknown, key: string | null = ADMIN_KEY) =>
  product.request(method, route, body, { auth: key === null ? null : `Bearer ${key}` });

const email = { channel: 'email', subject: 'Hi {{ profile.traits.first_name }}', body: '<p>{{ profile.traits.first_name | upcase }} {{ profile.traits.nothing }}</p>', text: 'Hi' };

beforeAll(async () => {
  product = await startTestProduct({ env: { MESSAGES_QUIET_HOURS: quiet, JOURNEYS_TIME_ZONE: ZONE, SMTP_URL: 'smtp://127.0.0.1:9' } });
  readKey = await product.keys.create('read', 'messages-reader');
  audienceKey = await product.keys.create('audience', 'messages-tool');
}, 120_000);

afterAll(async () => {
  await product?.destroy();
});

describe('templates', () => {
  test('PUT creates (201), the same again is 200 and unchanged, a change replaces; read key reads, admin deletes', async () => {
    const created = await call('PUT', '/v1/templates/hello', email);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.template).toMatchObject({ id: 'hello', ...email, updated_by: 'CDP_ADMIN_KEY' });
    const again = await call('PUT', '/v1/templates/hello', { id: 'hello', ...email });
    expect(again.status).toBe(200);
    expect(again.body.template.updated_at).toBe(created.body.template.updated_at);
    const changed = await call('PUT', '/v1/templates/hello', { ...email, subject: 'Hello' });
    expect([changed.status, changed.body.template.subject, changed.body.template.created_at]).toEqual([200, 'Hello', created.body.template.created_at]);

    expect((await call('GET', '/v1/templates/hello', undefined, readKey)).body.template.subject).toBe('Hello');
    expect((await call('GET', '/v1/templates', undefined, readKey)).body.templates.map((t: { id: string }) => t.id)).toContain('hello');
    expect((await call('POST', '/v1/templates', { id: 'hello', ...email })).status).toBe(409);
    const generated = await call('POST', '/v1/templates', { channel: 'sms', body: 'hi' });
    expect([generated.status, generated.body.template.id]).toEqual([201, expect.stringMatching(/^tpl_[0-9a-f]{12}$/)]);

    expect((await call('DELETE', '/v1/templates/hello')).body).toEqual({ success: true, deleted: 'hello' });
    expect((await call('GET', '/v1/templates/hello')).body.code).toBe('template_not_found');
    expect((await call('DELETE', '/v1/templates/hello')).status).toBe(404);
  });

  test('Liquid is checked at the write: an unknown filter or bad syntax is 400 with the field and position, and nothing is stored', async () => {
    const cases: [unknown, string, number, number][] = [
      [{ ...email, body: '<p>\n{{ profile.traits.first_name | shout }}</p>' }, 'body', 2, 1],
      [{ ...email, subject: 'Hi {% if x %}' }, 'subject', 1, 4],
      [{ channel: 'sms', body: 'Hi {{ profile.traits.first_name ' }, 'body', 1, 4],
      [{ ...email, text: '{% include "/etc/passwd" %}' }, 'text', 1, 1],
    ];
    for (const [body, field, line, col] of cases) {
      const res = await call('PUT', '/v1/templates/broken', body);
      expect([res.status, res.body.code, res.body.field, res.body.line, res.body.col], JSON.stringify(body)).toEqual([400, 'invalid_template', field, line, col]);
      expect(res.body.message).toMatch(new RegExp(`^${field}: `));
    }
    expect((await call('GET', '/v1/templates/broken')).status).toBe(404);
  });

  test('bad bodies and ids are 400 invalid_request naming the field', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/v1/templates/no-subject', { channel: 'email', body: 'x' }, /subject/],
      ['/v1/templates/bad-channel', { channel: 'fax', body: 'x' }, /channel/],
      ['/v1/templates/extra', { channel: 'sms', body: 'x', from: 'me' }, /from/],
      ['/v1/templates/empty', { channel: 'sms', body: '' }, /body/],
      ['/v1/templates/Bad_Id', { channel: 'sms', body: 'x' }, /id/],
      ['/v1/templates/mismatch', { id: 'other', channel: 'sms', body: 'x' }, /id/],
    ];
    for (const [route, body, field] of cases) {
      const res = await call('PUT', route, body);
      expect([res.status, res.body.code], route).toEqual([400, 'invalid_request']);
      expect(res.body.message, route).toMatch(field);
    }
    for (const [method, route, body] of [
      ['GET', '/v1/templates/Bad_Id', undefined],
      ['DELETE', '/v1/templates/Bad_Id', undefined],
      ['POST', '/v1/templates/Bad_Id/preview', { profile_id: 'p' }],
      ['GET', '/v1/subscription-groups/Bad_Id', undefined],
      ['DELETE', '/v1/subscription-groups/Bad_Id', undefined],
      ['POST', '/v1/templates', { id: 'Bad Id', channel: 'sms', body: 'x' }],
      ['POST', '/v1/subscription-groups', { id: 'Bad Id', channel: 'sms', type: 'opt_in' }],
    ] as const) {
      const res = await call(method, route, body);
      expect([res.status, res.body.code], `${method} ${route}`).toEqual([400, 'invalid_request']);
    }
  });

  test('preview renders for a profile (a missing trait empty); an unknown profile or template is 404, a bad body 400', async () => {
    expect((await call('PUT', '/v1/templates/preview-me', { ...email, body: '<p>{{ profile.traits.first_name }} & {{ profile.traits.nothing }}{{ event.properties.sku }} <a href="{{ unsubscribe_url }}">x</a></p>' })).status).toBe(201);
    const userId = `pre-${run}`;
    expect((await product.post('/v1/identify', { userId, messageId: `pre-${run}`, traits: { first_name: '<Zoe>' } })).status).toBe(200);
    const [row] = await product.waitForRows<{ profile_id: string }>(`SELECT profile_id FROM events WHERE message_id = 'pre-${run}'`, (r) => r.length === 1);
    const res = await call('POST', '/v1/templates/preview-me/preview', { profile_id: row!.profile_id, event: { properties: { sku: 'SKU-1' } } }, readKey);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.preview).toEqual({
      channel: 'email',
      subject: 'Hi <Zoe>',
      body: `<p>&lt;Zoe&gt; & SKU-1 <a href="${product.url}/m/unsubscribe?t=preview">x</a></p>`,
      text: 'Hi',
    });
    expect((await call('POST', '/v1/templates/preview-me/preview', { profile_id: 'p_nobody' })).status).toBe(404);
    expect((await call('POST', '/v1/templates/nope/preview', { profile_id: row!.profile_id })).body.code).toBe('template_not_found');
    for (const body of [{}, { profile_id: '' }, { profile_id: 'x', event: 'no' }, { profile_id: 'x', more: 1 }]) {
      expect((await call('POST', '/v1/templates/preview-me/preview', body)).status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('subscription groups', () => {
  test('PUT, GET, list, DELETE; bad bodies 400', async () => {
    const group = { channel: 'email', type: 'opt_in', consent_category: 'marketing' };
    const created = await call('PUT', '/v1/subscription-groups/weekly', group);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.subscription_group).toMatchObject({ id: 'weekly', ...group });
    expect((await call('PUT', '/v1/subscription-groups/weekly', group)).status).toBe(200);
    expect((await call('GET', '/v1/subscription-groups/weekly', undefined, readKey)).body.subscription_group.type).toBe('opt_in');
    expect((await call('GET', '/v1/subscription-groups', undefined, readKey)).body.subscription_groups.map((g: { id: string }) => g.id)).toContain('weekly');
    expect((await call('POST', '/v1/subscription-groups', { id: 'weekly', ...group })).status).toBe(409);
    expect((await call('DELETE', '/v1/subscription-groups/weekly')).status).toBe(200);
    expect((await call('GET', '/v1/subscription-groups/weekly')).body.code).toBe('subscription_group_not_found');
    expect((await call('DELETE', '/v1/subscription-groups/weekly')).status).toBe(404);
    for (const body of [{ channel: 'email' }, { channel: 'email', type: 'maybe' }, { channel: 'pigeon', type: 'opt_in' }, { channel: 'email', type: 'opt_in', consent_category: 'a,b' }, { channel: 'email', type: 'opt_in', extra: 1 }]) {
      const res = await call('PUT', '/v1/subscription-groups/bad', body);
      expect([res.status, res.body.code], JSON.stringify(body)).toEqual([400, 'invalid_request']);
    }
  });
});

describe('keys', () => {
  const writes: [string, string, unknown][] = [
    ['PUT', '/v1/templates/k', { channel: 'sms', body: 'x' }],
    ['POST', '/v1/templates', { channel: 'sms', body: 'x' }],
    ['DELETE', '/v1/templates/k', undefined],
    ['PUT', '/v1/subscription-groups/k', { channel: 'sms', type: 'opt_out' }],
    ['POST', '/v1/subscription-groups', { channel: 'sms', type: 'opt_out' }],
    ['DELETE', '/v1/subscription-groups/k', undefined],
  ];
  const reads: [string, string, unknown][] = [
    ['GET', '/v1/templates', undefined],
    ['GET', '/v1/templates/k', undefined],
    ['POST', '/v1/templates/k/preview', { profile_id: 'x' }],
    ['GET', '/v1/subscription-groups', undefined],
    ['GET', '/v1/subscription-groups/k', undefined],
  ];

  test('writes need an admin key and reads a read key, checked before the body', async () => {
    for (const [method, route, body] of [...writes, ...reads]) {
      for (const sent of [body, body === undefined ? undefined : { not: 'valid' }]) {
        expect((await call(method, route, sent, null)).body.code, `${method} ${route}`).toBe('missing_key');
        const wrong = await product.request(method, route, sent, { auth: basicAuth(WRITE_KEY) });
        expect(wrong.status, `${method} ${route} with a write key`).toBe(401);
        expect((await call(method, route, sent, audienceKey)).status, `${method} ${route} with an audience key`).toBe(403);
      }
    }
    for (const [method, route, body] of writes) expect((await call(method, route, body, readKey)).body.code, `${method} ${route}`).toBe('forbidden');
  });

  test('the links in messages take no key, and without a valid token they are 400', async () => {
    for (const [method, kind] of [['GET', 'unsubscribe'], ['POST', 'unsubscribe'], ['GET', 'open'], ['GET', 'click']] as const) {
      const res = await call(method, `/m/${kind}`, undefined, null);
      expect([res.status, res.body.code], `${method} ${kind}`).toEqual([400, 'invalid_link']);
    }
  });
});

test('quiet hours (in JOURNEYS_TIME_ZONE) hold a send until they end, recorded as held', async () => {
  expect((await call('PUT', '/v1/templates/night', { channel: 'email', subject: 's', body: 'b' })).status).toBe(201);
  const userId = `night-${run}`;
  expect((await product.post('/v1/identify', { userId, messageId: `night-${run}`, traits: { email: 'night@example.com' } })).status).toBe(200);
  const [row] = await product.waitForRows<{ profile_id: string }>(`SELECT profile_id FROM events WHERE message_id = 'night-${run}'`, (r) => r.length === 1);
  const messageId = `night-msg-${run}`;
  const before = Date.now();
  const outcome = await product.messages!.send({ messageId, journeyId: 'j', journeyVersion: 1, instanceId: 'i', step: 's', profileId: row!.profile_id, channel: 'email', templateId: 'night' });
  // The end of the local hour two after the one quiet hours started in.
  const startOfLocalHour = Math.floor((before + KOLKATA_OFFSET) / HOUR) * HOUR - KOLKATA_OFFSET;
  const localHourNow = new Date(before + KOLKATA_OFFSET).getUTCHours();
  const expected = startOfLocalHour + ((localHour + 2 - localHourNow + 24) % 24) * HOUR;
  expect(outcome).toEqual({ status: 'held', reason: 'quiet_hours', until: expected });
  const [held] = await product.sql<{ status: string; reason: string; until: string; attempts: number }>(
    `SELECT status, reason, toUnixTimestamp64Milli(held_until) AS until, attempts FROM messages WHERE message_id = '${messageId}' ORDER BY version DESC LIMIT 1`,
  );
  expect(held).toEqual({ status: 'held', reason: 'quiet_hours', until: String(expected), attempts: 0 });
});
