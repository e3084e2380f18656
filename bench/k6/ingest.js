// k6 version of the ingest bench (bench/ingest-bench.ts): single `track` calls, then 100-event batches,
// against a server that is already running. Run it once against our API and once against the bare
// Fastify baseline (`PORT=8081 node dist/bench/bare-server.js`), on the same machine, and compare req/s.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e WRITE_KEY=wk_... bench/k6/ingest.js
//
// Env: BASE_URL (default http://127.0.0.1:8080), WRITE_KEY (sent as Basic auth user, as Segment SDKs do;
// the bare server ignores it), VUS (concurrent connections, default 50), DURATION (seconds per scenario,
// default 10), BATCH_SIZE (default 100). Our API must be started with INGEST_MAX_QUEUE_DEPTH and
// REDIS_MAXMEMORY high enough for the jobs that pile up if no workers run (see bench/README.md).
// The bodies mirror bench/bodies.ts: seeded, so two runs send the same shapes and sizes.

import http from 'k6/http';
import encoding from 'k6/encoding';
import { check } from 'k6';
import { SharedArray } from 'k6/data';
import { Counter } from 'k6/metrics';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const WRITE_KEY = __ENV.WRITE_KEY || 'wk_bench';
const VUS = Number(__ENV.VUS || 50);
const DURATION = Number(__ENV.DURATION || 10);
const BATCH_SIZE = Number(__ENV.BATCH_SIZE || 100);

const acceptedEvents = new Counter('accepted_events');

export const options = {
  discardResponseBodies: false,
  scenarios: {
    single: { executor: 'constant-vus', exec: 'single', vus: VUS, duration: `${DURATION}s` },
    // Starts once the first scenario is over (plus a short gap), so the two never overlap.
    batch: { executor: 'constant-vus', exec: 'batch', vus: VUS, duration: `${DURATION}s`, startTime: `${DURATION + 3}s` },
  },
  thresholds: {
    // A figure counts only when every request got a 2xx, as in the autocannon bench.
    'http_req_failed{scenario:single}': ['rate==0'],
    'http_req_failed{scenario:batch}': ['rate==0'],
    'checks{scenario:single}': ['rate==1'],
    'checks{scenario:batch}': ['rate==1'],
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
};

// ---- seeded body generator (a port of bench/bodies.ts) ----

function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = ['Shoes', 'Jackets', 'Shirts', 'Trousers', 'Bags', 'Accessories', 'Knitwear', 'Dresses'];
const ITEMS = { Shoes: 'Sneaker', Jackets: 'Jacket', Shirts: 'Shirt', Trousers: 'Chino', Bags: 'Tote', Accessories: 'Scarf', Knitwear: 'Sweater', Dresses: 'Dress' };
const BRANDS = ['Northwind', 'Acme Outdoor', 'Blue Fjord', 'Maison Lune', 'Urban Fox', 'Kestrel'];
const ADJECTIVES = ['Classic', 'Slim', 'Organic', 'Waterproof', 'Merino', 'Linen', 'Vintage', 'Everyday'];
const VARIANTS = ['Black / M', 'Navy / L', 'Olive / S', 'Sand / 42', 'Grey / XL', 'White / 38'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36',
];
const LOCALES = ['en-GB', 'fr-FR', 'de-DE', 'en-US', 'nl-NL'];
const REFERRERS = ['https://www.google.com/', 'https://www.instagram.com/', '', 'https://duckduckgo.com/', 'https://shop.example.com/'];
const CAMPAIGNS = [
  { source: 'google', medium: 'cpc', name: 'spring_sale', term: 'rain jacket', content: 'ad_12' },
  { source: 'newsletter', medium: 'email', name: 'weekly_2024_18' },
  { source: 'instagram', medium: 'social', name: 'ss24_launch', content: 'story' },
];

function createBodyGenerator(seed) {
  const rand = seededRandom(seed);
  const int = (n) => Math.floor(rand() * n);
  const pick = (items) => items[int(items.length)];
  const hex = (chars) => {
    let out = '';
    while (out.length < chars) out += (int(0x100000000) >>> 0).toString(16).padStart(8, '0');
    return out.slice(0, chars);
  };
  const uuid = () => {
    const h = hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

  const products = [];
  for (let i = 0; i < 500; i++) {
    const category = pick(CATEGORIES);
    products.push({
      product_id: `prod_${10000 + i}`,
      sku: `SKU-${hex(6).toUpperCase()}`,
      category,
      name: `${pick(ADJECTIVES)} ${ITEMS[category]} ${int(90) + 10}`,
      brand: pick(BRANDS),
      price: Math.round((9.9 + rand() * 240) * 100) / 100,
    });
  }
  const users = [];
  for (let i = 0; i < 20000; i++) users.push({ anonymousId: uuid(), userId: rand() < 0.4 ? `user_${100000 + i}` : null, email: `customer${i}@example.com` });

  const productUrl = (p) => `https://shop.example.com/products/${slug(p.name)}-${p.product_id}`;
  const productProps = (p, position) => {
    const props = { product_id: p.product_id, sku: p.sku, category: p.category, name: p.name, brand: p.brand, variant: pick(VARIANTS), price: p.price, quantity: 1, currency: 'EUR' };
    if (position !== undefined) props.position = position;
    props.url = productUrl(p);
    props.image_url = `https://cdn.example.com/img/${p.product_id}.jpg`;
    return props;
  };
  // k6 has no URL global: split path and query by hand.
  const context = (url, title) => {
    const rest = url.replace(/^https?:\/\/[^/]+/, '');
    const q = rest.indexOf('?');
    const ctx = {
      library: { name: 'analytics.js', version: 'npm:next-1.70.0' },
      page: { path: q === -1 ? rest : rest.slice(0, q), referrer: pick(REFERRERS), search: q === -1 ? '' : rest.slice(q), title, url },
      userAgent: pick(USER_AGENTS),
      locale: pick(LOCALES),
      timezone: 'Europe/Paris',
      screen: { width: 1440, height: 900, density: 2 },
    };
    if (rand() < 0.2) ctx.campaign = pick(CAMPAIGNS);
    return ctx;
  };
  const common = (u, url, title) => {
    const sent = Date.now();
    const out = u.userId ? { anonymousId: u.anonymousId, userId: u.userId } : { anonymousId: u.anonymousId };
    out.messageId = `ajs-next-${hex(32)}`;
    out.timestamp = new Date(sent - int(5000)).toISOString();
    out.sentAt = new Date(sent).toISOString();
    out.context = context(url, title);
    out.integrations = {};
    return out;
  };
  const track = (u, event, properties, url, title) => Object.assign({ type: 'track', event, properties }, common(u, url, title));
  const productViewed = (u) => {
    const p = pick(products);
    return track(u, 'Product Viewed', productProps(p), productUrl(p), `${p.name} | Example Shop`);
  };
  const orderCompleted = (u) => {
    const lines = [];
    const count = 1 + int(3);
    for (let i = 0; i < count; i++) lines.push(productProps(pick(products), i + 1));
    const subtotal = lines.reduce((sum, l) => sum + l.price, 0);
    return track(u, 'Order Completed', {
      checkout_id: `chk_${hex(12)}`,
      order_id: `ord_${String(int(10000000)).padStart(7, '0')}`,
      affiliation: 'Web shop',
      total: Math.round((subtotal + 4.95) * 100) / 100,
      subtotal: Math.round(subtotal * 100) / 100,
      revenue: Math.round(subtotal * 100) / 100,
      shipping: 4.95,
      tax: Math.round(subtotal * 0.2 * 100) / 100,
      discount: 0,
      coupon: rand() < 0.3 ? 'SPRING10' : '',
      currency: 'EUR',
      products: lines,
    }, 'https://shop.example.com/checkout/thank-you', 'Thank you | Example Shop');
  };
  const batchItem = () => {
    const u = pick(users);
    const r = rand();
    if (r < 0.55) return productViewed(u);
    if (r < 0.67) {
      const p = pick(products);
      return track(u, 'Product Added', Object.assign({ cart_id: `cart_${hex(10)}` }, productProps(p)), productUrl(p), `${p.name} | Example Shop`);
    }
    if (r < 0.72) return track(u, 'Cart Viewed', { cart_id: `cart_${hex(10)}`, products: [productProps(pick(products))] }, 'https://shop.example.com/cart', 'Cart | Example Shop');
    if (r < 0.75) return track(u, 'Checkout Started', { order_id: '', value: pick(products).price, currency: 'EUR' }, 'https://shop.example.com/checkout', 'Checkout | Example Shop');
    if (r < 0.77) return orderCompleted(u);
    if (r < 0.95) {
      const category = pick(CATEGORIES);
      const path = `/c/${slug(category)}`;
      const url = `https://shop.example.com${path}?page=${1 + int(3)}`;
      return Object.assign({ type: 'page', name: category, properties: { path, url, title: `${category} | Example Shop` } }, common(u, url, `${category} | Example Shop`));
    }
    return Object.assign(
      { type: 'identify', traits: { email: u.email, first_name: 'Alex', last_name: `Martin${int(1000)}`, newsletter: rand() < 0.5, plan: 'member' } },
      common(u, 'https://shop.example.com/account', 'Account | Example Shop'),
    );
  };
  return {
    track: () => productViewed(pick(users)),
    batch: (size) => {
      const batch = [];
      for (let i = 0; i < size; i++) batch.push(batchItem());
      return { batch, sentAt: new Date().toISOString() };
    },
  };
}

// Generated once and shared by every VU (SharedArray), not once per VU.
const trackBodies = new SharedArray('track bodies', () => {
  const gen = createBodyGenerator(42);
  const out = [];
  for (let i = 0; i < 64; i++) out.push(JSON.stringify(gen.track()));
  return out;
});
const batchBodies = new SharedArray('batch bodies', () => {
  const gen = createBodyGenerator(43);
  const out = [];
  for (let i = 0; i < 16; i++) out.push(JSON.stringify(gen.batch(BATCH_SIZE)));
  return out;
});

const params = {
  headers: { 'Content-Type': 'application/json', Authorization: `Basic ${encoding.b64encode(`${WRITE_KEY}:`)}` },
};

function post(route, body, events) {
  const res = http.post(`${BASE_URL}${route}`, body, params);
  // Anything but a plain {"success":true} (e.g. a 200 with `rejected` items) means the figure does not count.
  const ok = check(res, {
    'status is 200': (r) => r.status === 200,
    'all events accepted': (r) => r.body === '{"success":true}',
  });
  if (ok) acceptedEvents.add(events);
}

export function single() {
  post('/v1/track', trackBodies[(__VU * 7 + __ITER) % trackBodies.length], 1);
}

export function batch() {
  post('/v1/batch', batchBodies[(__VU * 7 + __ITER) % batchBodies.length], BATCH_SIZE);
}
