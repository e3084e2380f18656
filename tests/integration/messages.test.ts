import { randomUUID } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { messageRecords } from '../../journeys/messages/message-records.js';
import type { MessageSender, SendRequest } from '../../journeys/messages/message-sender.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { redisFor } from '../../pipeline/redis/connection.js';
import { redisKeyNames } from '../../pipeline/redis/key-names.js';
import { startReceiver, type HttpReceiver } from '../helpers/http-receiver.js';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/smtp-receiver.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// The MessageSender a journey's send step calls, against a real SMTP server and a real SMS receiver: what a
// customer receives, what keeps a message from going out, and what a resend does.

let product: TestProduct;
let smtp: SmtpReceiver;
let sms: HttpReceiver;
let hooks: HttpReceiver;
let admin: ClickHouseClient;
let redis: RedisClient;
let sender: MessageSender;
const run = randomUUID().slice(0, 8);
const asAdmin = { auth: `Bearer ${ADMIN_KEY}` };

beforeAll(async () => {
  [smtp, sms, hooks] = await Promise.all([startSmtpReceiver(), startReceiver(), startReceiver()]);
  product = await startTestProduct({
    env: {
      SMTP_URL: smtp.url,
      EMAIL_FROM: 'Shop <shop@shop.example>',
      SMS_WEBHOOK_URL: `${sms.url}/sms`,
      MESSAGES_QUIET_HOURS: '',
      DESTINATIONS_ALLOW_PRIVATE: 'true',
    },
  });
  sender = product.messages!;
  admin = createClickHouse(product.config);
  redis = redisFor(product.redis, 'producer');
  const put = async (route: string, body: unknown) => expect((await product.request('PUT', route, body, asAdmin)).status, route).toBe(201);
  await put('/v1/templates/welcome', {
    channel: 'email',
    subject: 'Welcome, {{ profile.traits.first_name | default: "friend" }}',
    body: '<html><body><p>Hi {{ profile.traits.first_name }}{{ profile.traits.missing_trait }}! Stage: [{{ profile.lifecycle }}] You added {{ event.properties.product }}.</p>'
      + '<a href="https://shop.example/cart?x=1&amp;y=2">Your cart</a> <a href="{{ event.properties.link }}">More</a> <a href="{{ unsubscribe_url }}">Unsubscribe</a></body></html>',
    text: 'Hi {{ profile.traits.first_name }}, your cart: https://shop.example/cart',
  });
  await put('/v1/templates/sms-offer', { channel: 'sms', body: '{{ profile.traits.first_name }}: 10% off today' });
  await put('/v1/templates/hook', { channel: 'webhook', body: '{"name": "{{ profile.traits.first_name }}"}' });
  await put('/v1/subscription-groups/news', { channel: 'email', type: 'opt_out' });
  await put('/v1/subscription-groups/vip-list', { channel: 'email', type: 'opt_in' });
  await put('/v1/subscription-groups/promos', { channel: 'email', type: 'opt_out', consent_category: 'marketing' });
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await admin?.close();
  await product?.destroy();
  await Promise.all([smtp?.close(), sms?.close(), hooks?.close()]);
});

/** A customer with these traits (and consent), loaded; answers their profile id. */
async function customer(name: string, traits: Record<string, unknown>, consent?: Record<string, boolean>): Promise<string> {
  const userId = `${name}-${run}`;
  const messageId = `identify-${userId}`;
  const res = await product.post('/v1/identify', { userId, messageId, traits, ...(consent ? { context: { consent: { categoryPreferences: consent } } } : {}) });
  expect(res.status).toBe(200);
  const [row] = await product.waitForRows<{ profile_id: string }>(`SELECT profile_id FROM events WHERE message_id = '${messageId}'`, (r) => r.length === 1);
  return row!.profile_id;
}

function request(profileId: string, over: Partial<SendRequest> = {}): SendRequest {
  return { messageId: `msg-${randomUUID()}`, journeyId: 'cart', journeyVersion: 1, instanceId: `inst-${randomUUID()}`, step: 'mail', profileId, channel: 'email', templateId: 'welcome', ...over };
}

const mailsOf = (messageId: string) => smtp.mails.filter((m) => m.headers.get('x-cdp-message-id') === messageId);

async function mailOf(messageId: string): Promise<ParsedMail> {
  await waitFor(`the mail of ${messageId}`, () => mailsOf(messageId).length > 0);
  return mailsOf(messageId)[0]!;
}

/** Sends a marker email to `profileId` and waits for it: every mail sent before it has arrived. */
async function afterMarker(profileId: string): Promise<void> {
  const marker = request(profileId, { templateId: 'welcome' });
  expect(await sender.send(marker)).toMatchObject({ status: 'sent' });
  await mailOf(marker.messageId);
}

async function latestRow(messageId: string) {
  const rows = await product.sql<Record<string, unknown>>(`SELECT status, reason, attempts, provider_id, profile_id, journey_id, step, channel FROM messages WHERE message_id = '${messageId}' ORDER BY version DESC LIMIT 1`);
  return rows[0];
}

async function track(profileUser: string, event: string, properties: Record<string, unknown>): Promise<void> {
  const messageId = `t-${randomUUID()}`;
  expect((await product.post('/v1/track', { userId: profileUser, event, properties, messageId })).status).toBe(200);
  await product.waitForRows(`SELECT 1 FROM events WHERE message_id = '${messageId}'`, (r) => r.length === 1);
}

describe('email', () => {
  test('renders Liquid over the profile and the entry event (a missing trait renders empty), to the email trait, with the message id as Message-ID', async () => {
    const ann = await customer('ann', { email: 'ann@example.com', first_name: 'Ann' });
    const r = request(ann, { subscriptionGroup: 'news', entryEvent: { type: 'track', event: 'Product Added', properties: { product: 'Red Shoes', link: 'https://elsewhere.example/x' } } });
    const outcome = await sender.send(r);
    expect(outcome).toMatchObject({ status: 'sent' });
    const mail = await mailOf(r.messageId);
    expect(mail.subject).toBe('Welcome, Ann');
    expect((mail.to as { value: { address: string }[] }).value.map((v) => v.address)).toEqual(['ann@example.com']);
    expect(mail.messageId).toBe(`<${r.messageId}@shop.example>`);
    expect(mail.html).toContain('Hi Ann! Stage: [] You added Red Shoes.');
    expect(mail.text).toBe('Hi Ann, your cart: https://shop.example/cart');
    // The body's link goes through the click redirect; the unsubscribe link and the open pixel are the product's own.
    expect(mail.html).not.toContain('href="https://shop.example/cart');
    expect(mail.html).toMatch(new RegExp(`href="${product.url}/m/click\\?t=`));
    expect(mail.html).toMatch(new RegExp(`href="${product.url}/m/unsubscribe\\?t=`));
    // A link made of the event's data, to a site the template does not name, is not wrapped: no redirect to it is signed.
    expect(mail.html).toContain('href="https://elsewhere.example/x"');
    expect(mail.html).toMatch(new RegExp(`<img src="${product.url}/m/open\\?t=[^"]+" width="1" height="1"`));
    // Unfolded: a long header line is folded onto the next.
    const listUnsubscribe = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line.replace(/\r\n\s+/g, ' ');
    expect(listUnsubscribe).toMatch(new RegExp(`^List-Unsubscribe: <${product.url}/m/unsubscribe\\?t=`));
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(await latestRow(r.messageId)).toMatchObject({ status: 'sent', reason: '', attempts: 1, profile_id: ann, journey_id: 'cart', step: 'mail', channel: 'email', provider_id: mail.messageId });
  });

  test('a customer without an email is suppressed (no_address) and recorded so', async () => {
    const nobody = await customer('no-mail', { first_name: 'Bo' });
    const r = request(nobody);
    expect(await sender.send(r)).toEqual({ status: 'suppressed', reason: 'no_address' });
    expect(await latestRow(r.messageId)).toMatchObject({ status: 'suppressed', reason: 'no_address', attempts: 0 });
  });

  test('an SMTP refusal of the recipient (550) fails without retry, recorded failed', async () => {
    smtp.refuse('gone@example.com');
    const gone = await customer('gone', { email: 'gone@example.com' });
    const r = request(gone);
    const outcome = await sender.send(r);
    expect(outcome).toMatchObject({ status: 'failed', retryable: false });
    expect(await latestRow(r.messageId)).toMatchObject({ status: 'failed', attempts: 1 });
  });
});

describe('sms and webhook', () => {
  test('SMS goes to the phone trait as {to, body, message_id}; no phone is no_address', async () => {
    const cleo = await customer('cleo', { phone: '+4915112345678', first_name: 'Cleo' });
    const r = request(cleo, { channel: 'sms', templateId: 'sms-offer' });
    expect(await sender.send(r)).toMatchObject({ status: 'sent' });
    await waitFor('the SMS', () => sms.accepted('/sms').some((q) => q.body.message_id === r.messageId));
    const got = sms.accepted('/sms').find((q) => q.body.message_id === r.messageId)!;
    expect(got.body).toEqual({ to: '+4915112345678', body: 'Cleo: 10% off today', message_id: r.messageId });

    const noPhone = await customer('no-phone', { email: 'no-phone@example.com' });
    expect(await sender.send(request(noPhone, { channel: 'sms', templateId: 'sms-offer' }))).toEqual({ status: 'suppressed', reason: 'no_address' });
  });

  test('an SMS provider answering 503 fails retryable, 400 fails for good', async () => {
    const dan = await customer('dan', { phone: '+4915112345679' });
    try {
      sms.answer('/sms', () => ({ status: 503 }));
      expect(await sender.send(request(dan, { channel: 'sms', templateId: 'sms-offer' }))).toMatchObject({ status: 'failed', retryable: true });
      sms.answer('/sms', () => ({ status: 400, body: 'bad number' }));
      const final = await sender.send(request(dan, { channel: 'sms', templateId: 'sms-offer' }));
      expect(final).toMatchObject({ status: 'failed', retryable: false });
      expect(final.status === 'failed' && final.reason).toMatch(/400: bad number/);
    } finally {
      sms.answer('/sms', () => ({ status: 200 }));
    }
  });

  test('webhook messages go through an event destination, signed like its events', async () => {
    const put = await product.request('PUT', '/v1/destinations/dst_crm-hook', { type: 'events', name: 'CRM', format: 'webhook', url: `${hooks.url}/in`, secret: 's'.repeat(40), batch_size: 10, max_wait_ms: 50 }, asAdmin);
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const eve = await customer('eve', { first_name: 'Eve' });
    const r = request(eve, { channel: 'webhook', templateId: 'hook', destinationId: 'dst_crm-hook' });
    expect(await sender.send(r)).toMatchObject({ status: 'sent' });
    await waitFor('the webhook', () => hooks.accepted('/in').some((q) => q.body.events?.some((e: { messageId: string }) => e.messageId === r.messageId)));
    const got = hooks.accepted('/in').find((q) => q.body.events.some((e: { messageId: string }) => e.messageId === r.messageId))!;
    expect(got.headers['x-cdp-signature']).toBeTruthy();
    expect(got.body.events.find((e: { messageId: string }) => e.messageId === r.messageId)).toMatchObject({ type: 'message', messageId: r.messageId, channel: 'webhook', profile_id: eve, journey_id: 'cart', template_id: 'hook', body: '{"name": "Eve"}' });
    expect(await sender.send(request(eve, { channel: 'webhook', templateId: 'hook', destinationId: 'no-such-destination' }))).toMatchObject({ status: 'failed', retryable: false });
  });
});

describe('what keeps a message from going out', () => {
  test('an opt_out group sends until the customer says subscribed false', async () => {
    const fay = await customer('fay', { email: 'fay@example.com' });
    expect(await sender.send(request(fay, { subscriptionGroup: 'news' }))).toMatchObject({ status: 'sent' });
    await track(`fay-${run}`, 'Subscription Changed', { group: 'news', subscribed: false });
    expect(await sender.send(request(fay, { subscriptionGroup: 'news' }))).toEqual({ status: 'suppressed', reason: 'unsubscribed' });
    // Another group is not this one.
    expect(await sender.send(request(fay, { subscriptionGroup: 'promos' }))).toEqual({ status: 'suppressed', reason: 'consent_denied' });
  });

  test('an opt_in group sends only after subscribed true, and the latest say wins', async () => {
    const gus = await customer('gus', { email: 'gus@example.com' });
    expect(await sender.send(request(gus, { subscriptionGroup: 'vip-list' }))).toEqual({ status: 'suppressed', reason: 'unsubscribed' });
    await track(`gus-${run}`, 'Subscription Changed', { group: 'vip-list', subscribed: true });
    expect(await sender.send(request(gus, { subscriptionGroup: 'vip-list' }))).toMatchObject({ status: 'sent' });
    await track(`gus-${run}`, 'Subscription Changed', { group: 'vip-list', subscribed: false });
    expect(await sender.send(request(gus, { subscriptionGroup: 'vip-list' }))).toEqual({ status: 'suppressed', reason: 'unsubscribed' });
  });

  test("the group's consent category must be granted: denied or never stated is consent_denied", async () => {
    const denied = await customer('denied', { email: 'denied@example.com' }, { marketing: false });
    const silent = await customer('silent', { email: 'silent@example.com' });
    const granted = await customer('granted', { email: 'granted@example.com' }, { marketing: true });
    expect(await sender.send(request(denied, { subscriptionGroup: 'promos' }))).toEqual({ status: 'suppressed', reason: 'consent_denied' });
    expect(await sender.send(request(silent, { subscriptionGroup: 'promos' }))).toEqual({ status: 'suppressed', reason: 'consent_denied' });
    expect(await sender.send(request(granted, { subscriptionGroup: 'promos' }))).toMatchObject({ status: 'sent' });
  });

  test('the frequency cap: three per customer and channel a day across journeys; a message already sent asked again does not count', async () => {
    const hal = await customer('hal', { email: 'hal@example.com', phone: '+4915112345680' });
    const sent = [request(hal, { journeyId: 'a' }), request(hal, { journeyId: 'b' }), request(hal, { journeyId: 'c' })];
    for (const r of sent) expect(await sender.send(r)).toMatchObject({ status: 'sent' });
    expect(await sender.send(sent[0]!)).toMatchObject({ status: 'sent' });
    const fourth = request(hal, { journeyId: 'd' });
    expect(await sender.send(fourth)).toEqual({ status: 'suppressed', reason: 'frequency_cap' });
    expect(await latestRow(fourth.messageId)).toMatchObject({ status: 'suppressed', reason: 'frequency_cap' });
    // Another channel has its own count.
    expect(await sender.send(request(hal, { channel: 'sms', templateId: 'sms-offer' }))).toMatchObject({ status: 'sent' });
  });
});

describe('at most one resend', () => {
  test('the same message id asked twice is sent once', async () => {
    const ida = await customer('ida', { email: 'ida@example.com' });
    const r = request(ida);
    expect(await sender.send(r)).toMatchObject({ status: 'sent' });
    expect(await sender.send(r)).toMatchObject({ status: 'sent' });
    await afterMarker(ida);
    expect(mailsOf(r.messageId)).toHaveLength(1);
  });

  test('a crash between sending and recording (left `sending`) resends once, with the same Message-ID', async () => {
    const jo = await customer('jo', { email: 'jo@example.com' });
    const r = request(jo);
    expect(await sender.send(r)).toMatchObject({ status: 'sent' });
    const first = await mailOf(r.messageId);
    // What a process dying after the SMTP server took the mail leaves: `sending` as the latest record.
    await messageRecords(admin, product.config.CLICKHOUSE_DATABASE).record(r, { status: 'sending', attempts: 1 });
    expect(await latestRow(r.messageId)).toMatchObject({ status: 'sending' });
    expect(await sender.send(r)).toMatchObject({ status: 'sent' });
    await waitFor('the resent mail', () => mailsOf(r.messageId).length === 2);
    expect(mailsOf(r.messageId).map((m) => m.messageId)).toEqual([first.messageId, first.messageId]);
    expect(await latestRow(r.messageId)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await sender.send(r)).toMatchObject({ status: 'sent' });
    await afterMarker(jo);
    expect(mailsOf(r.messageId)).toHaveLength(2);
  });
});

describe('the contract for the journey engine', () => {
  test('templates and subscription groups are known by id', async () => {
    expect(await sender.templateChannel('sms-offer')).toBe('sms');
    expect(await sender.templateChannel('nope')).toBeUndefined();
    expect(await sender.subscriptionGroupExists('news')).toBe(true);
    expect(await sender.subscriptionGroupExists('nope')).toBe(false);
  });

  test('an unknown template or group, or one of another channel, fails for good', async () => {
    const kim = await customer('kim', { email: 'kim@example.com' });
    expect(await sender.send(request(kim, { templateId: 'nope' }))).toMatchObject({ status: 'failed', retryable: false });
    expect(await sender.send(request(kim, { templateId: 'sms-offer' }))).toMatchObject({ status: 'failed', retryable: false });
    expect(await sender.send(request(kim, { subscriptionGroup: 'nope' }))).toMatchObject({ status: 'failed', retryable: false });
  });

  test('a deleted customer is suppressed (profile_deleted), and their messages and counts go with them', async () => {
    const lou = await customer('lou', { email: 'lou@example.com' });
    expect(await sender.send(request(lou))).toMatchObject({ status: 'sent' });
    const capKey = redisKeyNames(product.config.QUEUE_PREFIX).messages.sentToday(lou, 'email');
    expect(await redis.exists(capKey)).toBe(1);
    expect(await product.sql(`SELECT uniqExact(message_id) AS n FROM messages WHERE profile_id = '${lou}'`)).toEqual([{ n: '1' }]);
    expect((await product.request('DELETE', `/v1/profiles/${lou}`, undefined, asAdmin)).status).toBe(200);
    expect(await product.sql(`SELECT uniqExact(message_id) AS n FROM messages WHERE profile_id = '${lou}'`)).toEqual([{ n: '0' }]);
    expect(await redis.exists(capKey)).toBe(0);
    expect(await sender.send(request(lou))).toEqual({ status: 'suppressed', reason: 'profile_deleted' });
  });
});

describe('links in messages', () => {
  /** The links of a sent mail's HTML: click links (in order), the unsubscribe link and the open pixel. */
  function linksOf(mail: ParsedMail) {
    const html = String(mail.html);
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    return {
      clicks: hrefs.filter((h) => h.includes('/m/click?')),
      unsubscribe: hrefs.find((h) => h.includes('/m/unsubscribe?'))!,
      open: /<img src="([^"]+)"/.exec(html)![1]!,
    };
  }

  async function sentMail(name: string) {
    const userId = `${name}-${run}`;
    const profileId = await customer(name, { email: `${name}@example.com`, first_name: name });
    const r = request(profileId, { subscriptionGroup: 'news' });
    expect(await sender.send(r)).toMatchObject({ status: 'sent' });
    return { userId, profileId, r, links: linksOf(await mailOf(r.messageId)) };
  }

  const eventsOf = (profileId: string, event: string) =>
    product.sql<{ message_id: string; properties: string; source_id: string }>(`SELECT message_id, properties, source_id FROM events WHERE profile_id = '${profileId}' AND event = '${event}' ORDER BY message_id`);

  /** Tracks a marker for the customer and waits for it: every event recorded before it has been loaded. */
  async function afterEventMarker(userId: string) {
    await track(userId, 'Marker', {});
  }

  test('unsubscribe: GET shows a page that changes nothing, POST records Subscription Changed, then sends are suppressed', async () => {
    const { userId, profileId, links } = await sentMail('uma');
    const page = await fetch(links.unsubscribe);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toMatch(/<form method="post" action="\/m\/unsubscribe\?t=[^"]+">/);
    await afterEventMarker(userId);
    expect(await eventsOf(profileId, 'Subscription Changed')).toEqual([]);

    // As the page's form posts it, and a mail client's one-click unsubscribe (multipart): one event.
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    expect((await fetch(links.unsubscribe, { method: 'POST', body: form })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const done = await fetch(links.unsubscribe, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(done.status).toBe(200);
      expect(await done.text()).toContain('You are unsubscribed');
    }
    await afterEventMarker(userId);
    const changes = await eventsOf(profileId, 'Subscription Changed');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.source_id).toBe('cdp');
    expect(JSON.parse(changes[0]!.properties)).toMatchObject({ group: 'news', subscribed: false });
    expect(await sender.send(request(profileId, { subscriptionGroup: 'news' }))).toEqual({ status: 'suppressed', reason: 'unsubscribed' });
  });

  test('the open pixel and clicks come back as events of that customer; a click redirects to the link the message held', async () => {
    const { userId, profileId, r, links } = await sentMail('otto');
    for (let i = 0; i < 2; i++) {
      const pixel = await fetch(links.open);
      expect(pixel.status).toBe(200);
      expect(pixel.headers.get('content-type')).toBe('image/gif');
    }
    expect(links.clicks).toHaveLength(1);
    const click = await fetch(links.clicks[0]!, { redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://shop.example/cart?x=1&y=2');
    await afterEventMarker(userId);
    const opens = await eventsOf(profileId, 'Email Opened');
    expect(opens).toHaveLength(1);
    expect(JSON.parse(opens[0]!.properties)).toEqual({ message_id: r.messageId });
    const clicks = await eventsOf(profileId, 'Email Link Clicked');
    expect(clicks.map((c) => JSON.parse(c.properties))).toEqual([{ message_id: r.messageId, url: 'https://shop.example/cart?x=1&y=2' }]);
  });

  test('forged, cut or borrowed links are refused (400 or 403), never redirected, and record nothing', async () => {
    const { userId, profileId, links } = await sentMail('fred');
    const token = (url: string) => new URL(url).searchParams.get('t')!;
    const [payload, signature] = token(links.clicks[0]!).split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const foreign = Buffer.from(JSON.stringify({ ...claims, u: 'https://evil.example/' })).toString('base64url');
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    const cases: [string, number][] = [
      [`${product.url}/m/click?t=${foreign}.${signature}`, 403],
      [`${product.url}/m/click?t=${payload}.${flipped}`, 403],
      // A valid open token is not a click token, nor an unsubscribe token.
      [`${product.url}/m/click?t=${token(links.open)}`, 403],
      [`${product.url}/m/unsubscribe?t=${token(links.open)}`, 403],
      [`${product.url}/m/open?t=${token(links.unsubscribe)}`, 403],
      [`${product.url}/m/click?t=${payload}`, 400],
      [`${product.url}/m/click?t=not-a-token`, 400],
      [`${product.url}/m/click`, 400],
      [`${product.url}/m/open`, 400],
      [`${product.url}/m/unsubscribe?t=preview`, 400],
    ];
    for (const [url, status] of cases) {
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status, url).toBe(status);
      expect(res.headers.get('location'), url).toBeNull();
      expect((await res.json()).code, url).toBe(status === 403 ? 'forged_link' : 'invalid_link');
    }
    const post = await fetch(`${product.url}/m/unsubscribe?t=${foreign}.${signature}`, { method: 'POST' });
    expect(post.status).toBe(403);
    await afterEventMarker(userId);
    for (const event of ['Email Link Clicked', 'Email Opened', 'Subscription Changed']) expect(await eventsOf(profileId, event), event).toEqual([]);
  });
});

