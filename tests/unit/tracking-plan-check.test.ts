import { describe, expect, test } from 'vitest';
import { checkEvent } from '../../ingest/tracking-plans/check-event.js';
import { compilePlan } from '../../ingest/tracking-plans/compile-plan.js';
import { InvalidTrackingPlanError } from '../../ingest/tracking-plans/errors/invalid-tracking-plan-error.js';
import { trackingPlanInput, type ViolationMode } from '../../ingest/tracking-plans/plan-definition.js';

// A plan's schemas compiled with ajv and one event checked against them: each keyword, each violation type,
// each mode, and schemas ajv refuses.

const order = {
  type: 'object',
  required: ['order_id', 'total'],
  additionalProperties: false,
  properties: {
    order_id: { type: 'string', pattern: '^o-[0-9]+$' },
    total: { type: 'number', minimum: 0, maximum: 100000 },
    currency: { enum: ['EUR', 'USD'] },
    channel: { const: 'web' },
    placed_at: { type: 'string', format: 'date-time' },
    email: { type: 'string', format: 'email' },
    url: { type: 'string', format: 'uri' },
    products: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, price: { type: 'number' } }, required: ['sku'] } },
  },
};

const plan = (violations: ViolationMode, unplanned: 'allow' | 'block' = 'allow') =>
  compilePlan({
    id: 'shop',
    version: 3,
    violations,
    unplanned_events: unplanned,
    rules: [
      { type: 'track', event: 'Order Completed', properties: order },
      { type: 'track', event: 'Signed Up' },
      { type: 'identify', traits: { type: 'object', properties: { email: { type: 'string', format: 'email' } }, required: ['email'] } },
    ],
  });

const track = (properties: Record<string, unknown>) => ({ type: 'track', event: 'Order Completed', properties });
const good = { order_id: 'o-1', total: 12.5, currency: 'EUR', channel: 'web', placed_at: '2026-01-02T03:04:05Z', email: 'a@b.co', url: 'https://x.test/a', products: [{ sku: 's1', price: 2 }] };

describe('checking an event against its plan', () => {
  test('an event that fits, a planned event without a schema, alias and calls without a rule: nothing', () => {
    expect(checkEvent(plan('block'), track(good))).toBeUndefined();
    expect(checkEvent(plan('block'), { type: 'track', event: 'Signed Up', properties: { anything: 1 } })).toBeUndefined();
    expect(checkEvent(plan('block'), { type: 'alias' })).toBeUndefined();
    expect(checkEvent(plan('block'), { type: 'page', properties: { x: 1 } })).toBeUndefined();
  });

  test('each keyword gives its violation type, with the path in the event and the schema message', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ total: 1 }, 'required_missing', 'properties.order_id'],
      [{ ...good, total: '12' }, 'datatype_mismatch', 'properties.total'],
      [{ ...good, coupon: 'X' }, 'additional_property', 'properties.coupon'],
      [{ ...good, order_id: 'bad' }, 'format_mismatch', 'properties.order_id'],
      [{ ...good, total: -1 }, 'format_mismatch', 'properties.total'],
      [{ ...good, total: 1e6 }, 'format_mismatch', 'properties.total'],
      [{ ...good, currency: 'GBP' }, 'format_mismatch', 'properties.currency'],
      [{ ...good, channel: 'app' }, 'format_mismatch', 'properties.channel'],
      [{ ...good, placed_at: 'yesterday' }, 'format_mismatch', 'properties.placed_at'],
      [{ ...good, email: 'not-an-email' }, 'format_mismatch', 'properties.email'],
      [{ ...good, url: 'not a uri' }, 'format_mismatch', 'properties.url'],
      [{ ...good, products: [{ sku: 's', price: 'x' }] }, 'datatype_mismatch', 'properties.products.0.price'],
      [{ ...good, products: [{ price: 1 }] }, 'required_missing', 'properties.products.0.sku'],
    ];
    for (const [properties, violation, path] of cases) {
      const verdict = checkEvent(plan('allow'), track(properties));
      expect(verdict?.violations, JSON.stringify(properties)).toContainEqual({ violation, path, message: expect.any(String) });
      expect(verdict?.block).toBe(false);
    }
    expect(checkEvent(plan('allow'), track({ total: 1 }))!.violations).toEqual([{ violation: 'required_missing', path: 'properties.order_id', message: "must have required property 'order_id'" }]);
  });

  test('every violation of an event is found (allErrors), traits of identify too', () => {
    expect(checkEvent(plan('allow'), track({ total: 'x', extra: 1 }))!.violations.map((v) => v.violation).sort()).toEqual(['additional_property', 'datatype_mismatch', 'required_missing']);
    expect(checkEvent(plan('allow'), { type: 'identify', traits: { email: 'nope' } })!.violations).toEqual([{ violation: 'format_mismatch', path: 'traits.email', message: 'must match format "email"' }]);
    expect(checkEvent(plan('allow'), { type: 'identify' })!.violations[0]).toMatchObject({ violation: 'required_missing', path: 'traits.email' });
  });

  test('unplanned events: recorded, refused only with unplanned_events block', () => {
    const typo = { type: 'track', event: 'Order Complete', properties: good };
    expect(checkEvent(plan('block'), typo)).toEqual({ violations: [{ violation: 'unplanned_event', path: 'event', message: '"Order Complete" is not an event of tracking plan "shop"' }], block: false });
    expect(checkEvent(plan('allow', 'block'), typo)?.block).toBe(true);
  });

  test('block refuses; drop_properties removes the offending values and keeps the rest', () => {
    expect(checkEvent(plan('block'), track({ ...good, total: '1' }))?.block).toBe(true);
    const properties: Record<string, unknown> = { ...good, total: '1', coupon: 'X', currency: 'GBP', products: [{ sku: 's', price: 'x' }, { sku: 't', price: 1 }] };
    const verdict = checkEvent(plan('drop_properties'), track(properties));
    expect(verdict?.block).toBe(false);
    expect(verdict?.violations).toHaveLength(4);
    const { total: _total, currency: _currency, ...kept } = good;
    expect(properties).toEqual({ ...kept, products: [{ sku: 's' }, { sku: 't', price: 1 }] });
    // A required property missing has nothing to remove; the event goes through as it is.
    const missing: Record<string, unknown> = { total: 1 };
    expect(checkEvent(plan('drop_properties'), track(missing))?.violations).toHaveLength(1);
    expect(missing).toEqual({ total: 1 });
  });
});

describe('compiling a plan', () => {
  test('an invalid schema is refused with ajv\'s error at its path in the plan', () => {
    const bad = () =>
      compilePlan({ id: 'p', version: 1, violations: 'allow', unplanned_events: 'allow', rules: [{ type: 'track', event: 'A' }, { type: 'track', event: 'B', properties: { type: 'object', properties: { price: { type: 'nmber' } } } }] });
    expect(bad).toThrow(InvalidTrackingPlanError);
    try {
      bad();
    } catch (err) {
      const problems = (err as InvalidTrackingPlanError).problems;
      expect(problems.length).toBeGreaterThan(0);
      expect(problems[0]!.path).toBe('rules.1.properties.properties.price.type');
      expect(problems[0]!.message).toMatch(/must be equal to one of the allowed values/);
    }
    // A misspelt keyword would check nothing: refused too.
    expect(() => compilePlan({ id: 'p', version: 1, violations: 'allow', unplanned_events: 'allow', rules: [{ type: 'page', properties: { requird: ['x'] } }] })).toThrow(/rules\.0\.properties: strict mode: unknown keyword: "requird"/);
  });

  test('the body: defaults, one rule per event, sources named once and never the cdp source', () => {
    expect(trackingPlanInput.parse({ name: 'P', rules: [] })).toEqual({ name: 'P', sources: [], violations: 'allow', unplanned_events: 'allow', rules: [] });
    const twice = trackingPlanInput.safeParse({ name: 'P', rules: [{ type: 'track', event: 'A' }, { type: 'track', event: 'A' }] });
    expect(twice.error?.issues[0]).toMatchObject({ path: ['rules', 1], message: 'rules.0 already covers the event "A"' });
    expect(trackingPlanInput.safeParse({ name: 'P', sources: ['cdp'], rules: [] }).error?.issues[0]?.path).toEqual(['sources', 0]);
    expect(trackingPlanInput.safeParse({ name: 'P', sources: ['web', 'web'], rules: [] }).success).toBe(false);
    expect(trackingPlanInput.safeParse({ name: 'P', violations: 'warn', rules: [] }).success).toBe(false);
  });
});
