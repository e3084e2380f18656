import { describe, expect, test } from 'vitest';
import { checkDefinition, type DefinitionLookups } from '../../journeys/definition-check.js';
import { InvalidJourneyError } from '../../journeys/errors/invalid-journey-error.js';
import { passesWhere } from '../../journeys/event-match.js';
import { durationMs, journeyInput, type JourneyDefinition } from '../../journeys/journey-definition.js';
import { localMonthDay } from '../../journeys/date-entries.js';

// A journey's whole-definition check (journeys/definition-check.ts) and an entry's `where` on the event
// (journeys/event-match.ts), against lookups that know one template, one group, one segment, one destination.

const lookups: DefinitionLookups = {
  segmentExists: async (id) => id === 'vip',
  templateChannel: async (id) => (id === 'hello' ? 'email' : id === 'hook' ? 'webhook' : undefined),
  subscriptionGroupExists: async (id) => id === 'marketing',
  destinationExists: async (id) => id === 'dst_crm',
};

const definition = (steps: Record<string, unknown>, start = Object.keys(steps)[0]!): JourneyDefinition => {
  const { id: _id, ...d } = journeyInput.parse({ name: 'n', entry: { event: 'E' }, start, steps });
  return d;
};

async function problems(d: JourneyDefinition): Promise<string[]> {
  try {
    await checkDefinition(d, lookups);
    return [];
  } catch (err) {
    if (!(err instanceof InvalidJourneyError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('the whole-definition check', () => {
  test('a cycle through a wait is allowed; one in which no step waits is refused at a step of it', async () => {
    expect(await problems(definition({ a: { type: 'wait', duration: { days: 1 }, next: 'b' }, b: { type: 'send', channel: 'email', template: 'hello', next: 'a' } }))).toEqual([]);
    expect(
      await problems(
        definition({
          a: { type: 'branch', condition: { type: 'segment', segment_id: 'vip' }, yes: 'b', no: 'c' },
          b: { type: 'send', channel: 'email', template: 'hello', next: 'a' },
          c: { type: 'exit' },
        }),
      ),
    ).toEqual(['steps.a: the cycle a → b → a has no wait or wait_for step']);
  });

  test('unknown targets and start, steps not reachable from start', async () => {
    expect(await problems(definition({ a: { type: 'wait', duration: { seconds: 5 }, next: 'nowhere' }, lone: { type: 'exit' } }, 'missing'))).toEqual([
      'start: no step "missing"',
      'steps.a.next: no step "nowhere"',
      'steps.a: is not reachable from start',
      'steps.lone: is not reachable from start',
    ]);
  });

  test("what a send names: template and its channel, subscription group, a webhook's destination", async () => {
    expect(
      await problems(
        definition({
          a: { type: 'send', channel: 'sms', template: 'hello', subscription_group: 'news', next: 'b' },
          b: { type: 'send', channel: 'webhook', template: 'hook', next: 'c' },
          c: { type: 'send', channel: 'webhook', template: 'hook', destination_id: 'dst_none', next: 'd' },
          d: { type: 'send', channel: 'email', template: 'nope', destination_id: 'dst_crm', next: 'e' },
          e: { type: 'exit' },
        }),
      ),
    ).toEqual([
      'steps.a.channel: template "hello" is for email, not sms',
      'steps.a.subscription_group: no subscription group "news"',
      'steps.b.destination_id: is required for channel webhook (the event destination that carries it)',
      'steps.c.destination_id: no event destination "dst_none"',
      'steps.d.template: no template "nope"',
      'steps.d.destination_id: is for channel webhook only',
    ]);
  });

  test('segments named by a branch, with the path of the condition', async () => {
    const d = definition({ a: { type: 'branch', condition: { type: 'and', conditions: [{ type: 'segment', segment_id: 'vip' }, { type: 'not', condition: { type: 'segment', segment_id: 'gone' } }] }, yes: 'b', no: 'b' }, b: { type: 'exit' } });
    expect(await problems(d)).toEqual(['steps.a.condition.conditions.1.condition.segment_id: no segment "gone"']);
  });

  test('durations sum their units; zero and unknown units are refused', () => {
    expect(durationMs({ days: 1, hours: 2, minutes: 3, seconds: 4 })).toBe(((24 + 2) * 3600 + 3 * 60 + 4) * 1000);
    expect(() => definition({ a: { type: 'wait', duration: { seconds: 0 }, next: 'b' }, b: { type: 'exit' } })).toThrow();
    expect(() => definition({ a: { type: 'wait', duration: { weeks: 1 }, next: 'b' }, b: { type: 'exit' } })).toThrow();
  });
});

describe("an entry's where", () => {
  const props = { price: 25, sku: 'A-1', tags: ['x'], nested: { brand: 'Acme' }, nothing: null, at: '2026-01-10T00:00:00Z' };
  test('compares as the segment language does: numbers as numbers, text as text, nested paths, exists', () => {
    const now = Date.parse('2026-01-20T00:00:00Z');
    expect(passesWhere(props, [{ property: 'price', op: 'gte', value: 20 }, { property: 'nested.brand', op: 'eq', value: 'Acme' }], now)).toBe(true);
    expect(passesWhere(props, [{ property: 'price', op: 'eq', value: 25 }, { property: 'sku', op: 'in', value: ['A-1', 'B-2'] }, { property: 'sku', op: 'contains', value: 'a-' }], now)).toBe(true);
    expect(passesWhere(props, [{ property: 'price', op: 'lt', value: 20 }], now)).toBe(false);
    expect(passesWhere(props, [{ property: 'missing', op: 'neq', value: 'x' }], now)).toBe(false);
    expect(passesWhere(props, [{ property: 'nothing', op: 'exists' }], now)).toBe(false);
    expect(passesWhere(props, [{ property: 'at', op: 'before', value: { days_ago: 5 } }], now)).toBe(true);
    expect(passesWhere(props, [{ property: 'sku', op: 'neq', value: 3 }], now)).toBe(false);
    expect(passesWhere(props, undefined, now)).toBe(true);
  });
});

test("date entries: the day `days_before` ahead, in the journeys' time zone", () => {
  // 2026-02-28 20:00 UTC is already 1 March in Tokyo; the next day there is 2 March.
  const now = Date.parse('2026-02-28T20:00:00Z');
  expect(localMonthDay(now, 0, 'UTC')).toEqual({ month: 2, day: 28 });
  expect(localMonthDay(now, 0, 'Asia/Tokyo')).toEqual({ month: 3, day: 1 });
  expect(localMonthDay(now, 1, 'Asia/Tokyo')).toEqual({ month: 3, day: 2 });
});
