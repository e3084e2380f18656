import { z } from 'zod';
import { NPS_GROUPS } from '../../identity/feedback/nps-answers.js';
import { CONSENT_CATEGORY, CONSENT_CATEGORY_MAX, CONSENT_CATEGORY_RULE } from '../../identity/consent/consent-category.js';
import { resourceId } from '../../pipeline/core/resource-id.js';
import { LIFECYCLE_STAGES, VALUE_TIERS } from '../customer-states.js';
import { RFM_GROUPS } from '../rfm-groups.js';

// The segment language: a JSON tree of conditions over one profile. Leaves ask about the profile's traits,
// events, RFM scores, churn scores, CLV, lifecycle stage, value tier, consent and membership of other segments;
// `and` / `or` / `not` combine them.
// Every value ends up as a typed query parameter (compile-conditions.ts), never as SQL text.

const name = z.string().trim().min(1).max(200);
const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()]);
const daysAgo = z.strictObject({ days_ago: z.number().int().min(0).max(36500) });
const isoDate = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/** eq ... exists on a string value (trait or event property). Numbers compare numerically, strings as text. */
function withComparison<S extends z.core.$ZodLooseShape>(base: S) {
  return z.discriminatedUnion('op', [
    z.strictObject({ ...base, op: z.enum(['eq', 'neq']), value: scalar }),
    z.strictObject({ ...base, op: z.enum(['lt', 'lte', 'gt', 'gte']), value: z.number().finite() }),
    z.strictObject({ ...base, op: z.literal('in'), value: z.array(z.union([z.string().max(1000), z.number().finite()])).min(1).max(10000) }),
    z.strictObject({ ...base, op: z.literal('contains'), value: z.string().min(1).max(1000) }),
    z.strictObject({ ...base, op: z.literal('exists') }),
    z.strictObject({ ...base, op: z.enum(['before', 'after']), value: z.union([isoDate, daysAgo]) }),
  ]);
}
const comparison = withComparison({});
export type Comparison = z.infer<typeof comparison>;

// A property path: "category" or "product.brand" (nested objects), at most 8 levels.
const propertyPath = z.string().trim().min(1).max(200).regex(/^[^.]+(\.[^.]+){0,7}$/, 'a property name, with dots for nested objects');

export const propertyFilter = withComparison({ property: propertyPath });
export type PropertyFilter = z.infer<typeof propertyFilter>;

/**
 * A time window, in the configured time zone (SEGMENTS_TIME_ZONE), counted in local calendar days from as_of's
 * day (day 0): `within_days: N` is days 0 .. N-1 (today and the N-1 days before); `between_days_ago: [N, M]`
 * is days N .. M ago, both included; `this: "quarter"` is the current calendar day/week/month/quarter/year.
 * Events after as_of never count.
 */
export const timeWindow = z.union([
  z.strictObject({ within_days: z.number().int().min(1).max(36500) }),
  z.strictObject({ between_days_ago: z.tuple([z.number().int().min(0).max(36500), z.number().int().min(0).max(36500)]) }).refine((w) => w.between_days_ago[0] <= w.between_days_ago[1], 'between_days_ago is [nearer, farther]: the first number must not be larger than the second'),
  z.strictObject({ this: z.enum(['day', 'week', 'month', 'quarter', 'year']) }),
]);
export type TimeWindow = z.infer<typeof timeWindow>;

const countOp = z.strictObject({ op: z.enum(['eq', 'neq', 'lt', 'lte', 'gt', 'gte']), value: z.number().int().min(0).max(1e9) });
const range = (min: number, max: number) =>
  z.strictObject({ gte: z.number().min(min).max(max).optional(), lte: z.number().min(min).max(max).optional() }).refine((r) => r.gte !== undefined || r.lte !== undefined, 'give gte, lte or both');
const score = range(1, 5);

/** What an event condition matches; computed traits match events with the same fields. */
export const eventMatch = {
  /** track (default): `event` is the event name; page / screen: `name` optionally narrows to one page name. */
  call: z.enum(['track', 'page', 'screen', 'identify', 'group', 'alias']).default('track'),
  event: name.optional(),
  name: name.optional(),
  where: z.array(propertyFilter).max(20).optional(),
  window: timeWindow.optional(),
};
export const needsEvent = (c: { call: string; event?: string }) => c.call !== 'track' || c.event !== undefined;
const needsEventMessage = { message: 'a track condition needs "event" (the event name)', path: ['event'] };

const traitCondition = withComparison({ type: z.literal('trait'), trait: name });
const eventCondition = z
  .strictObject({ type: z.literal('event'), ...eventMatch, count: countOp.optional() })
  .refine(needsEvent, needsEventMessage);
const noEventCondition = z.strictObject({ type: z.literal('no_event'), ...eventMatch }).refine(needsEvent, needsEventMessage);
const rfmCondition = z
  .strictObject({ type: z.literal('rfm'), segment: z.array(z.enum(RFM_GROUPS)).min(1).optional(), r: score.optional(), f: score.optional(), m: score.optional() })
  .refine((c) => c.segment || c.r || c.f || c.m, 'an rfm condition needs segment, r, f or m');
const churnCondition = z
  .strictObject({ type: z.literal('churn'), flag: z.enum(['model', 'rule', 'either', 'both', 'none']).optional(), p_alive: range(0, 1).optional() })
  .refine((c) => c.flag || c.p_alive, 'a churn condition needs flag or p_alive');
const clvCondition = z.strictObject({ type: z.literal('clv'), gte: z.number().finite().optional(), lte: z.number().finite().optional() }).refine((c) => c.gte !== undefined || c.lte !== undefined, 'a clv condition needs gte, lte or both');
const segmentCondition = z.strictObject({ type: z.literal('segment'), segment_id: z.string().min(1).max(100) });
/** A computed trait's value in the latest `traits` snapshot not after as_of; on a list, `contains` is an element equal to the value. */
const computedTraitCondition = withComparison({ type: z.literal('computed_trait'), trait: resourceId });
// `entered_within_days`: the stage's `since` (the snapshot it was entered in) within N local days, as a window's within_days.
const lifecycleCondition = z.strictObject({ type: z.literal('lifecycle'), stage: z.array(z.enum(LIFECYCLE_STAGES)).min(1), entered_within_days: z.number().int().min(1).max(36500).optional() });
const valueTierCondition = z.strictObject({ type: z.literal('value_tier'), tier: z.array(z.enum(VALUE_TIERS)).min(1) });
/**
 * A member's standing in the loyalty snapshot standing at as_of: level among the names given (LOYALTY_LEVELS),
 * points (the balance) within gte / lte; both when both are given. A profile with no standing (no order, no
 * points) matches none.
 */
const loyaltyCondition = z
  .strictObject({
    type: z.literal('loyalty'),
    level: z.array(z.string().min(1).max(100)).min(1).optional(),
    points: z.strictObject({ gte: z.number().finite().optional(), lte: z.number().finite().optional() }).refine((p) => p.gte !== undefined || p.lte !== undefined, 'points needs gte, lte or both').optional(),
  })
  .refine((c) => c.level || c.points, 'a loyalty condition needs level, points or both');
/**
 * The profile's latest preference in a consent category stated by events up to as_of. With no statement the
 * category counts as not granted: `granted: false` matches those who denied it and those who never said.
 */
const consentCondition = z.strictObject({
  type: z.literal('consent'),
  category: z.string().trim().min(1, CONSENT_CATEGORY_RULE).max(CONSENT_CATEGORY_MAX, CONSENT_CATEGORY_RULE).regex(CONSENT_CATEGORY, CONSENT_CATEGORY_RULE),
  granted: z.boolean(),
});

/** The group of the customer's latest NPS answer up to as_of (promoter 9–10, passive 7–8, detractor 0–6); without one, none. */
const npsCondition = z.strictObject({ type: z.literal('nps'), group: z.array(z.enum(NPS_GROUPS)).min(1) });
/** The number of complaints the customer opened that are open at as_of, compared: every op given holds ({"gte": 1}; {"gte": 1, "lte": 3}). */
const complaintCount = z.number().int().min(0).max(1_000_000);
const complaintsCondition = z.strictObject({
  type: z.literal('complaints'),
  open: z
    .strictObject({ eq: complaintCount.optional(), gt: complaintCount.optional(), gte: complaintCount.optional(), lt: complaintCount.optional(), lte: complaintCount.optional() })
    .refine((o) => Object.values(o).some((v) => v !== undefined), 'at least one of eq, gt, gte, lt, lte, e.g. {"gte": 1}'),
});

export type Condition =
  | z.infer<typeof traitCondition>
  | z.infer<typeof eventCondition>
  | z.infer<typeof noEventCondition>
  | z.infer<typeof rfmCondition>
  | z.infer<typeof churnCondition>
  | z.infer<typeof clvCondition>
  | z.infer<typeof segmentCondition>
  | z.infer<typeof computedTraitCondition>
  | z.infer<typeof lifecycleCondition>
  | z.infer<typeof valueTierCondition>
  | z.infer<typeof loyaltyCondition>
  | z.infer<typeof consentCondition>
  | z.infer<typeof npsCondition>
  | z.infer<typeof complaintsCondition>
  | { type: 'and' | 'or'; conditions: Condition[] }
  | { type: 'not'; condition: Condition };

export const MAX_DEPTH = 12;

// Registered by id: the API reference (/openapi.json) shows the recursive tree as one named schema.
export const condition: z.ZodType<Condition> = z
  .lazy(() =>
    z.discriminatedUnion('type', [
      traitCondition,
      eventCondition,
      noEventCondition,
      rfmCondition,
      churnCondition,
      clvCondition,
      segmentCondition,
      computedTraitCondition,
      lifecycleCondition,
      valueTierCondition,
      loyaltyCondition,
      consentCondition,
      npsCondition,
      complaintsCondition,
      z.strictObject({ type: z.enum(['and', 'or']), conditions: z.array(condition).min(1).max(100) }),
      z.strictObject({ type: z.literal('not'), condition }),
    ]),
  )
  .meta({
    id: 'SegmentCondition',
    description:
      'A condition of the segment language: trait, event, no_event, rfm (RFM scores or RFM groups, the named R×F cells), churn, clv, segment, computed_trait, lifecycle (stage), value_tier, loyalty (level, points), consent (a category granted or not, as of the run), nps (the group of the latest answer), complaints (open ones, counted); and, or, not combine them',
  }) as z.ZodType<Condition>;

const segmentId = resourceId;

const common = {
  name,
  description: z.string().max(2000).default(''),
  /** How often the membership job runs for this segment. */
  every_minutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
};

/** A segment in the JSON language. */
export const rulesSegment = z.strictObject({ id: segmentId.optional(), ...common, conditions: condition });
/** A segment as an analyst's SELECT returning profile_id. */
export const sqlSegment = z.strictObject({ id: segmentId.optional(), ...common, sql: z.string().trim().min(1).max(100_000) });

/** A segment as POSTed or PUT: either `conditions` (the JSON language) or `sql` (an analyst SELECT). */
export const segmentInput = z.union([rulesSegment, sqlSegment]);
export type SegmentInput = z.infer<typeof segmentInput>;

/** The tree's depth, refused beyond MAX_DEPTH so a definition cannot make the compiler recurse without end. */
export function depth(c: Condition): number {
  if (c.type === 'and' || c.type === 'or') return 1 + Math.max(...c.conditions.map(depth));
  if (c.type === 'not') return 1 + depth(c.condition);
  return 1;
}

/** Every segment this condition tree reads (for cycle checks and run order). */
export function referencedSegments(c: Condition): string[] {
  if (c.type === 'segment') return [c.segment_id];
  if (c.type === 'and' || c.type === 'or') return [...new Set(c.conditions.flatMap(referencedSegments))];
  if (c.type === 'not') return referencedSegments(c.condition);
  return [];
}

/** Every computed trait this condition tree reads, with the path of the condition naming it. */
export function referencedTraits(c: Condition, path = 'conditions'): { trait: string; path: string }[] {
  if (c.type === 'computed_trait') return [{ trait: c.trait, path: `${path}.trait` }];
  if (c.type === 'and' || c.type === 'or') return c.conditions.flatMap((child, i) => referencedTraits(child, `${path}.conditions.${i}`));
  if (c.type === 'not') return referencedTraits(c.condition, `${path}.condition`);
  return [];
}

export { segmentId };
