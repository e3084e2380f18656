// Realistic Segment tracking bodies for the benchmarks: what analytics.js (single calls) and a server SDK
// (100-event batches) send for an online shop. Seeded, so two runs send byte-for-byte the same shapes
// and sizes; only the times follow the clock (ISO strings of fixed length, so sizes do not change).
import { seededRandom } from './seeded-random.js';

export type Json = Record<string, unknown>;

const CATEGORIES = ['Shoes', 'Jackets', 'Shirts', 'Trousers', 'Bags', 'Accessories', 'Knitwear', 'Dresses'];
const ITEMS: Record<string, string> = { Shoes: 'Sneaker', Jackets: 'Jacket', Shirts: 'Shirt', Trousers: 'Chino', Bags: 'Tote', Accessories: 'Scarf', Knitwear: 'Sweater', Dresses: 'Dress' };
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

interface Product {
  product_id: string;
  sku: string;
  category: string;
  name: string;
  brand: string;
  price: number;
}

interface User {
  anonymousId: string;
  userId: string | null;
  email: string;
}

export interface BodyGenerator {
  /** One `POST /v1/track` body: a "Product Viewed" call as analytics.js sends it. */
  track(): Json;
  /** One item of a batch: mostly e-commerce tracks, some page and identify calls. */
  batchItem(): Json;
  /** One `POST /v1/batch` body of `size` items. */
  batch(size?: number): Json;
}

/** `now` dates the events (default: the clock); `seed` fixes everything else. */
export function createBodyGenerator(seed = 42, now: () => number = Date.now): BodyGenerator {
  const rand = seededRandom(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const hex = (chars: number) => {
    let out = '';
    while (out.length < chars) out += (int(0x100000000) >>> 0).toString(16).padStart(8, '0');
    return out.slice(0, chars);
  };
  const uuid = () => {
    const h = hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };

  const products: Product[] = Array.from({ length: 500 }, (_, i) => {
    const category = pick(CATEGORIES);
    return {
      product_id: `prod_${String(10000 + i)}`,
      sku: `SKU-${hex(6).toUpperCase()}`,
      category,
      name: `${pick(ADJECTIVES)} ${ITEMS[category]} ${int(90) + 10}`,
      brand: pick(BRANDS),
      price: Math.round((9.9 + rand() * 240) * 100) / 100,
    };
  });
  // 40 % of visitors are logged in: a shop sees far more anonymous traffic than accounts.
  const users: User[] = Array.from({ length: 20000 }, (_, i) => ({
    anonymousId: uuid(),
    userId: rand() < 0.4 ? `user_${String(100000 + i)}` : null,
    email: `customer${i}@example.com`,
  }));

  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const productUrl = (p: Product) => `https://shop.example.com/products/${slug(p.name)}-${p.product_id}`;
  const productProps = (p: Product, position?: number): Json => ({
    product_id: p.product_id,
    sku: p.sku,
    category: p.category,
    name: p.name,
    brand: p.brand,
    variant: pick(VARIANTS),
    price: p.price,
    quantity: 1,
    currency: 'EUR',
    ...(position === undefined ? {} : { position }),
    url: productUrl(p),
    image_url: `https://cdn.example.com/img/${p.product_id}.jpg`,
  });

  const context = (url: string, title: string): Json => {
    const u = new URL(url);
    const ctx: Json = {
      library: { name: 'analytics.js', version: 'npm:next-1.70.0' },
      page: { path: u.pathname, referrer: pick(REFERRERS), search: u.search, title, url },
      userAgent: pick(USER_AGENTS),
      locale: pick(LOCALES),
      timezone: 'Europe/Paris',
      screen: { width: 1440, height: 900, density: 2 },
    };
    if (rand() < 0.2) ctx.campaign = pick(CAMPAIGNS);
    return ctx;
  };

  // sentAt a little after the event time, as a client that buffers for a moment would send it.
  const times = () => {
    const sent = now();
    return { timestamp: new Date(sent - int(5000)).toISOString(), sentAt: new Date(sent).toISOString() };
  };
  const identity = (u: User): Json => (u.userId ? { anonymousId: u.anonymousId, userId: u.userId } : { anonymousId: u.anonymousId });
  const common = (u: User, url: string, title: string): Json => ({
    ...identity(u),
    messageId: `ajs-next-${hex(32)}`,
    ...times(),
    context: context(url, title),
    integrations: {},
  });

  const trackOf = (u: User, event: string, properties: Json, url: string, title: string): Json => ({
    type: 'track',
    event,
    properties,
    ...common(u, url, title),
  });

  const productViewed = (u: User): Json => {
    const p = pick(products);
    return trackOf(u, 'Product Viewed', productProps(p), productUrl(p), `${p.name} | Example Shop`);
  };

  const orderCompleted = (u: User): Json => {
    const lines = Array.from({ length: 1 + int(3) }, (_, i) => productProps(pick(products), i + 1));
    const subtotal = lines.reduce((sum, l) => sum + (l.price as number), 0);
    const shipping = 4.95;
    const tax = Math.round(subtotal * 0.2 * 100) / 100;
    return trackOf(
      u,
      'Order Completed',
      {
        checkout_id: `chk_${hex(12)}`,
        order_id: `ord_${String(int(10_000_000)).padStart(7, '0')}`,
        affiliation: 'Web shop',
        total: Math.round((subtotal + shipping) * 100) / 100,
        subtotal: Math.round(subtotal * 100) / 100,
        revenue: Math.round(subtotal * 100) / 100,
        shipping,
        tax,
        discount: 0,
        coupon: rand() < 0.3 ? 'SPRING10' : '',
        currency: 'EUR',
        products: lines,
      },
      'https://shop.example.com/checkout/thank-you',
      'Thank you | Example Shop',
    );
  };

  const batchItem = (): Json => {
    const u = pick(users);
    const r = rand();
    if (r < 0.55) return productViewed(u);
    if (r < 0.67) {
      const p = pick(products);
      return trackOf(u, 'Product Added', { cart_id: `cart_${hex(10)}`, ...productProps(p) }, productUrl(p), `${p.name} | Example Shop`);
    }
    if (r < 0.72) return trackOf(u, 'Cart Viewed', { cart_id: `cart_${hex(10)}`, products: [productProps(pick(products))] }, 'https://shop.example.com/cart', 'Cart | Example Shop');
    if (r < 0.75) return trackOf(u, 'Checkout Started', { order_id: '', value: pick(products).price, currency: 'EUR' }, 'https://shop.example.com/checkout', 'Checkout | Example Shop');
    if (r < 0.77) return orderCompleted(u);
    if (r < 0.95) {
      const category = pick(CATEGORIES);
      const url = `https://shop.example.com/c/${slug(category)}?page=${1 + int(3)}`;
      return { type: 'page', name: category, properties: { path: new URL(url).pathname, url, title: `${category} | Example Shop` }, ...common(u, url, `${category} | Example Shop`) };
    }
    return {
      type: 'identify',
      traits: { email: u.email, first_name: 'Alex', last_name: `Martin${int(1000)}`, newsletter: rand() < 0.5, plan: 'member' },
      ...common(u, 'https://shop.example.com/account', 'Account | Example Shop'),
    };
  };

  return {
    track: () => productViewed(pick(users)),
    batchItem,
    // A server SDK (analytics-node) posts { batch, sentAt }; the top-level sentAt is informational.
    batch: (size = 100) => ({ batch: Array.from({ length: size }, batchItem), sentAt: new Date(now()).toISOString() }),
  };
}

/** `count` distinct single-track bodies, as JSON text. */
export function trackBodies(count: number, seed = 42): string[] {
  const gen = createBodyGenerator(seed);
  return Array.from({ length: count }, () => JSON.stringify(gen.track()));
}

/** `count` distinct batch bodies of `size` items each, as JSON text. */
export function batchBodies(count: number, size = 100, seed = 43): string[] {
  const gen = createBodyGenerator(seed);
  return Array.from({ length: count }, () => JSON.stringify(gen.batch(size)));
}
