import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../bench/seeded-random.js';
import { inferPlan, inferSchema, INFERENCE, isRequired, type RuleSample } from '../../ingest/tracking-plans/plan-inference.js';

const properties = (payloads: unknown[]) => (inferPlan('web', [{ type: 'track', event: 'E', payloads }]).rules[0] as { properties: Record<string, unknown> }).properties;
const repeat = <T,>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

describe('types per path', () => {
  it('names each JSON type; integers alone are integer, beside other numbers number', () => {
    expect(inferSchema([1, 2, 3])).toEqual({ type: 'integer' });
    expect(inferSchema([1, 2.5])).toEqual({ type: 'number' });
    expect(inferSchema([true, false])).toEqual({ type: 'boolean' });
    expect(inferSchema([null])).toEqual({ type: 'null' });
    expect(inferSchema(['a', 'b'])).toEqual({ type: 'string' });
  });

  it('a path seen with several types gets a type array', () => {
    expect(inferSchema(['12', 12, null])).toEqual({ type: ['string', 'integer', 'null'] });
    expect(inferSchema([1.5, '1.5'])).toEqual({ type: ['string', 'number'] });
  });

  it('nested objects get nested properties, with required counted among the parent objects', () => {
    const payloads = repeat(100, (i) => ({ address: i < 50 ? { city: 'Lyon', zip: 69001 } : { city: 'Paris' } }));
    expect(properties(payloads)).toEqual({
      type: 'object',
      properties: { address: { type: 'object', properties: { city: { type: 'string', enum: ['Lyon', 'Paris'] }, zip: { type: 'integer' } }, required: ['city'] } },
      required: ['address'],
    });
  });

  it('arrays get items from all their elements; arrays of objects get an object schema; empty arrays no items', () => {
    expect(inferSchema([[1, 2], [3.5], []])).toEqual({ type: 'array', items: { type: 'number' } });
    expect(inferSchema([[], []])).toEqual({ type: 'array' });
    expect(inferSchema([[{ sku: 'a', qty: 1 }, { sku: 'b' }]])).toEqual({
      type: 'array',
      items: { type: 'object', properties: { qty: { type: 'integer' }, sku: { type: 'string' } }, required: ['sku'] },
    });
  });
});

describe('required', () => {
  it('is present in at least 99 % of the occurrences', () => {
    expect(INFERENCE.requiredShare).toBe(0.99);
    expect(isRequired(99, 100)).toBe(true);
    expect(isRequired(98, 100)).toBe(false);
    expect(isRequired(990, 1000)).toBe(true);
    expect(isRequired(989, 1000)).toBe(false);
    expect(isRequired(1, 1)).toBe(true);
    expect(isRequired(0, 0)).toBe(false);
    const payloads = repeat(100, (i) => ({ a: i, ...(i < 99 ? { b: i } : {}), ...(i < 98 ? { c: i } : {}) }));
    expect(properties(payloads).required).toEqual(['a', 'b']);
  });

  it('a property sent as null is present (its type says null)', () => {
    expect(properties([{ a: null }, { a: 1 }])).toEqual({ type: 'object', properties: { a: { type: ['integer', 'null'] } }, required: ['a'] });
  });
});

describe('enum', () => {
  it('at most 10 distinct strings over at least 20 occurrences', () => {
    expect(INFERENCE).toMatchObject({ enumMaxValues: 10, enumMinOccurrences: 20 });
    const ten = repeat(20, (i) => `v${i % 10}`);
    expect(inferSchema(ten)).toEqual({ type: 'string', enum: repeat(10, (i) => `v${i}`).sort() });
    expect(inferSchema(repeat(40, (i) => `v${i % 11}`))).toEqual({ type: 'string' });
    expect(inferSchema(ten.slice(0, 19))).toEqual({ type: 'string' });
  });

  it('is only said of a path that is always a string', () => {
    expect(inferSchema([...repeat(20, () => 'EUR'), null])).toEqual({ type: ['string', 'null'] });
  });
});

describe('format', () => {
  it('date-time, email or uri when every value matches', () => {
    expect(inferSchema(['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.678+02:00'])).toEqual({ type: 'string', format: 'date-time' });
    expect(inferSchema(['ann@example.com', 'bob@example.org'])).toEqual({ type: 'string', format: 'email' });
    expect(inferSchema(['https://shop.example/a?b=1', 'mailto:x@y.z'])).toEqual({ type: 'string', format: 'uri' });
  });

  it('not when one value does not match', () => {
    expect(inferSchema(['2026-01-02T03:04:05Z', '2026-01-02'])).toEqual({ type: 'string' });
    expect(inferSchema(['ann@example.com', 'ann at example'])).toEqual({ type: 'string' });
    expect(inferSchema(['https://shop.example/a', '/a'])).toEqual({ type: 'string' });
  });

  it('an enum wins over a format: it says more', () => {
    expect(inferSchema(repeat(20, (i) => `https://shop.example/${i % 2}`))).toEqual({ type: 'string', enum: ['https://shop.example/0', 'https://shop.example/1'] });
  });
});

describe('rules', () => {
  it('one per track event, one per other type, in a stable order; identify and group describe traits; alias has none', () => {
    const samples: RuleSample[] = [
      { type: 'page', event: '', payloads: [{ url: 'https://shop.example/' }] },
      { type: 'track', event: 'Product Viewed', payloads: [{ sku: 'a' }] },
      { type: 'identify', event: '', payloads: [{ email: 'a@b.co' }] },
      { type: 'track', event: 'Cart Viewed', payloads: [{}] },
      { type: 'group', event: '', payloads: [{ plan: 'pro' }] },
      { type: 'screen', event: '', payloads: [{ name: 'Home' }] },
      { type: 'alias', event: '', payloads: [{}] },
    ];
    const plan = inferPlan('app', samples);
    expect(plan).toMatchObject({ name: 'app (inferred)', sources: ['app'], violations: 'allow', unplanned_events: 'allow' });
    expect(plan.rules.map((r) => [r.type, 'event' in r ? r.event : undefined, 'traits' in r ? 'traits' : 'properties'])).toEqual([
      ['track', 'Cart Viewed', 'properties'],
      ['track', 'Product Viewed', 'properties'],
      ['page', undefined, 'properties'],
      ['screen', undefined, 'properties'],
      ['identify', undefined, 'traits'],
      ['group', undefined, 'traits'],
    ]);
    expect(plan.rules[0]).toEqual({ type: 'track', event: 'Cart Viewed', properties: { type: 'object', properties: {} } });
  });
});

describe('on a generated event stream with known truth', () => {
  const random = seededRandom(13);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
  const TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;
  const start = Date.parse('2026-03-01T00:00:00Z');

  // Order Completed: order_id (unique), revenue (cents as a float), currency (3 values), products (1 to 3,
  // sku and an integer quantity, price sometimes missing), coupon (about a third), placed_at (date-time).
  const orders = repeat(2000, (i) => ({
    order_id: `o-${i}`,
    revenue: Math.round(random() * 50000) / 100 + 0.01,
    currency: pick(CURRENCIES),
    products: repeat(1 + Math.floor(random() * 3), () => ({ sku: `sku-${Math.floor(random() * 500)}`, quantity: 1 + Math.floor(random() * 4), ...(random() < 0.995 ? { price: Math.floor(random() * 100) } : {}) })),
    ...(random() < 0.33 ? { coupon: `C${Math.floor(random() * 1000)}` } : {}),
    placed_at: new Date(start + i * 60_000).toISOString(),
  }));
  // Identify: email (always), tier (4 values, 99.5 % of the time), age (integer or, from an old app, a string).
  const traits = repeat(600, (i) => ({
    email: `user${i}@example.com`,
    ...(i % 200 !== 7 ? { tier: pick(TIERS) } : {}),
    age: i % 50 === 0 ? String(20 + (i % 40)) : 20 + (i % 40),
  }));
  // Page: url (uri), referrer missing one time in ten.
  const pages = repeat(300, (i) => ({ url: `https://shop.example/p/${i}`, ...(i % 10 !== 0 ? { referrer: 'https://search.example/' } : {}) }));
  const samples: RuleSample[] = [
    { type: 'track', event: 'Order Completed', payloads: orders },
    { type: 'identify', event: '', payloads: traits },
    { type: 'page', event: '', payloads: pages },
  ];
  const plan = inferPlan('web', samples);

  it('finds the schema the stream was generated from', () => {
    expect(plan.rules).toEqual([
      {
        type: 'track',
        event: 'Order Completed',
        properties: {
          type: 'object',
          properties: {
            coupon: { type: 'string' },
            currency: { type: 'string', enum: ['EUR', 'GBP', 'USD'] },
            order_id: { type: 'string' },
            placed_at: { type: 'string', format: 'date-time' },
            products: {
              type: 'array',
              items: { type: 'object', properties: { price: { type: 'integer' }, quantity: { type: 'integer' }, sku: { type: 'string' } }, required: ['price', 'quantity', 'sku'] },
            },
            revenue: { type: 'number' },
          },
          required: ['currency', 'order_id', 'placed_at', 'products', 'revenue'],
        },
      },
      {
        type: 'page',
        properties: { type: 'object', properties: { referrer: { type: 'string', enum: ['https://search.example/'] }, url: { type: 'string', format: 'uri' } }, required: ['url'] },
      },
      {
        type: 'identify',
        traits: {
          type: 'object',
          properties: { age: { type: ['string', 'integer'] }, email: { type: 'string', format: 'email' }, tier: { type: 'string', enum: [...TIERS].sort() } },
          required: ['age', 'email', 'tier'],
        },
      },
    ]);
  });

  it('the draft accepts the events it was inferred from, but those missing a property present in 99 % of them; and catches what breaks it', () => {
    const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
    const ajv = addFormats(new Ajv2020({ allErrors: true }));
    const [order, page, identify] = plan.rules.map((r) => ajv.compile('traits' in r ? r.traits : r.properties));
    const refused = <T,>(xs: T[], check: (x: T) => boolean) => xs.filter((x) => !check(x));
    const withoutPrice = orders.filter((o) => o.products.some((p) => !('price' in p)));
    expect(withoutPrice.length).toBeGreaterThan(0);
    expect(refused(orders, (o) => order!(o) as boolean)).toEqual(withoutPrice);
    expect(refused(pages, (p) => page!(p) as boolean)).toEqual([]);
    expect(refused(traits, (t) => identify!(t) as boolean)).toEqual(traits.filter((t) => !('tier' in t)));
    expect(order!({ ...orders[0], currency: 'JPY' })).toBe(false);
    expect(order!({ ...orders[0], revenue: '12.00' })).toBe(false);
    const { order_id: _, ...missing } = orders[0]!;
    expect(order!(missing)).toBe(false);
    expect(identify!({ ...traits[1], email: 'not an email' })).toBe(false);
  });
});
