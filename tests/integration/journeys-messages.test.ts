import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startReceiver, type HttpReceiver } from '../helpers/http-receiver.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// Journeys as a shop runs them, with the product's own sender: an event enters the customer, the journey
// waits and mails them through a real SMTP server (and texts them through a real SMS receiver), the
// unsubscribe link in that mail stops the next one, and what happened is read back from journey_events and
// messages.

let product: TestProduct;
let smtp: SmtpReceiver;
let sms: HttpReceiver;
const run = randomUUID().slice(0, 8);
const asAdmin = { auth: `Bearer ${ADMIN_KEY}` };

beforeAll(async () => {
  [smtp, sms] = await Promise.all([startSmtpReceiver(), startReceiver()]);
  product = await startTestProduct({
    env: { SMTP_URL: smtp.url, EMAIL_FROM: 'Shop <shop@shop.example>', SMS_WEBHOOK_URL: `${sms.url}/sms`, MESSAGES_QUIET_HOURS: '' },
  });
  const put = async (route: string, body: unknown) => expect((await product.request('PUT', route, body, asAdmin)).status, route).toBeLessThan(300);
  await put('/v1/templates/cart-reminder', {
    channel: 'email',
    subject: '{{ profile.traits.first_name | default: "Hello" }}, your {{ event.properties.name }} is waiting',
    body: '<p>Hi {{ profile.traits.first_name }}{{ profile.traits.nickname }}!</p><a href="https://shop.example/cart">Back to the cart</a><a href="{{ unsubscribe_url }}">Unsubscribe</a>',
  });
  await put('/v1/templates/sms-offer', { channel: 'sms', body: '{{ profile.traits.first_name }}: 10% off {{ event.properties.name }}' });
  await put('/v1/subscription-groups/marketing', { channel: 'email', type: 'opt_out' });
}, 120_000);

afterAll(async () => {
  await product?.destroy();
  await Promise.all([smtp?.close(), sms?.close()]);
});

async function track(userId: string, event: string, properties: Record<string, unknown> = {}): Promise<void> {
  expect((await product.post('/v1/track', { userId, event, properties, messageId: randomUUID() })).status).toBe(200);
}

const journeyRows = (journey: string, done: (rows: { kind: string; detail: string }[]) => boolean) =>
  product.waitForRows<{ kind: string; detail: string }>(`SELECT kind, detail FROM journey_events FINAL WHERE journey_id = '${journey}' ORDER BY at, kind`, done, 60_000);

test('an event enters the customer; after the wait they get the email, rendered for them, with the message id the product recorded', async () => {
  const userId = `ann-${run}`;
  expect((await product.post('/v1/identify', { userId, traits: { email: `${userId}@example.com`, first_name: 'Ann' } })).status).toBe(200);
  const journey = `cart-${run}`;
  const res = await product.request('PUT', `/v1/journeys/${journey}`, {
    name: 'Abandoned cart',
    entry: { event: `Product Added ${run}` },
    exit_on: { event: 'Order Completed' },
    start: 'wait1',
    steps: {
      wait1: { type: 'wait', duration: { seconds: 1 }, next: 'mail' },
      mail: { type: 'send', channel: 'email', template: 'cart-reminder', subscription_group: 'marketing', next: 'done' },
      done: { type: 'exit' },
    },
  }, asAdmin);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await track(userId, `Product Added ${run}`, { name: 'Red Shoes' });

  const rows = await journeyRows(journey, (r) => r.some((x) => x.kind === 'exited'));
  expect(rows.map((r) => r.kind)).toEqual(expect.arrayContaining(['entered', 'sent', 'exited']));
  const messageId = JSON.parse(rows.find((r) => r.kind === 'sent')!.detail).message_id as string;
  await waitFor('the email', () => smtp.mails.some((m) => m.to && JSON.stringify(m.to).includes(`${userId}@example.com`)));
  const mail = smtp.mails.find((m) => JSON.stringify(m.to).includes(`${userId}@example.com`))!;
  expect(mail.subject).toBe('Ann, your Red Shoes is waiting');
  expect(mail.html).toContain('<p>Hi Ann!</p>');
  expect(mail.messageId).toContain(messageId);
  const [record] = await product.waitForRows<{ status: string; channel: string }>(
    `SELECT status, channel FROM messages FINAL WHERE message_id = '${messageId}'`,
    (r) => r.length === 1 && r[0]!.status === 'sent',
  );
  expect(record).toEqual({ status: 'sent', channel: 'email' });

  // The unsubscribe link of that mail (POST, as a mail client's one-click does) stops the next one.
  const link = /href="([^"]*\/m\/unsubscribe\?t=[^"]+)"/.exec(mail.html as string)![1]!.replaceAll('&amp;', '&');
  expect((await fetch(link, { method: 'POST' })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM events WHERE event = 'Subscription Changed' AND JSONExtractString(properties, 'group') = 'marketing' AND user_id = '${userId}'`, (r) => r.length === 1);
  await track(userId, `Product Added ${run}`, { name: 'Blue Shoes' });
  const again = await journeyRows(journey, (r) => r.some((x) => x.kind === 'suppressed'));
  expect(JSON.parse(again.find((r) => r.kind === 'suppressed')!.detail)).toMatchObject({ reason: 'unsubscribed' });
  expect(smtp.mails.filter((m) => JSON.stringify(m.to).includes(`${userId}@example.com`))).toHaveLength(1);
});

test('an SMS step texts the phone trait through the SMS provider, with the recorded message id', async () => {
  const userId = `bob-${run}`;
  expect((await product.post('/v1/identify', { userId, traits: { phone: '+447700900123', first_name: 'Bob' } })).status).toBe(200);
  const journey = `sms-${run}`;
  expect((await product.request('PUT', `/v1/journeys/${journey}`, {
    name: 'Offer by SMS',
    entry: { event: `Viewed ${run}` },
    start: 'text',
    steps: { text: { type: 'send', channel: 'sms', template: 'sms-offer', next: 'done' }, done: { type: 'exit' } },
  }, asAdmin)).status).toBe(201);
  await track(userId, `Viewed ${run}`, { name: 'a scarf' });
  const rows = await journeyRows(journey, (r) => r.some((x) => x.kind === 'sent'));
  const messageId = JSON.parse(rows.find((r) => r.kind === 'sent')!.detail).message_id as string;
  await waitFor('the SMS', () => sms.accepted('/sms').some((r) => r.body.message_id === messageId));
  expect(sms.accepted('/sms').find((r) => r.body.message_id === messageId)!.body).toEqual({ to: '+447700900123', body: 'Bob: 10% off a scarf', message_id: messageId });
});

test('a customer without an email address is suppressed (no_address), and the journey goes on', async () => {
  const userId = `cy-${run}`;
  const journey = `noaddr-${run}`;
  expect((await product.request('PUT', `/v1/journeys/${journey}`, {
    name: 'No address',
    entry: { event: `Browsed ${run}` },
    start: 'mail',
    steps: { mail: { type: 'send', channel: 'email', template: 'cart-reminder', next: 'done' }, done: { type: 'exit' } },
  }, asAdmin)).status).toBe(201);
  await track(userId, `Browsed ${run}`);
  const rows = await journeyRows(journey, (r) => r.some((x) => x.kind === 'exited'));
  expect(JSON.parse(rows.find((r) => r.kind === 'suppressed')!.detail)).toMatchObject({ reason: 'no_address' });
});
