import { z } from 'zod';
import { resourceId } from '../../pipeline/core/resource-id.js';

/** A plan's id: a resource id, except `infer`, which names GET /v1/tracking-plans/infer (a plan so named could not be read). */
export const planId = resourceId.refine((id) => id !== 'infer', '"infer" names the inference route (GET /v1/tracking-plans/infer); choose another id');

// A tracking plan's body as PUT /v1/tracking-plans/:id takes it: which sources it covers, what happens to an
// event that breaks it, and one rule per event (track) or per call type, each with a JSON Schema (draft
// 2020-12) of the event's properties or traits. The schemas themselves are checked by compile-plan.ts.

export const VIOLATION_MODES = ['allow', 'drop_properties', 'block'] as const;
export type ViolationMode = (typeof VIOLATION_MODES)[number];

/** The source whose events the product writes itself (adjustments, subscription changes, email opens): never checked. */
export const PRODUCT_SOURCE = 'cdp';

const jsonSchema = z.record(z.string(), z.unknown()).describe('a JSON Schema (draft 2020-12) of an object');
const properties = jsonSchema.optional().describe('JSON Schema of `properties`; absent: any properties');
const traits = jsonSchema.optional().describe('JSON Schema of `traits`; absent: any traits');

export const planRule = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('track'), event: z.string().trim().min(1).max(512).describe('the event name, exactly as sent'), properties }),
  z.strictObject({ type: z.literal('page'), properties }),
  z.strictObject({ type: z.literal('screen'), properties }),
  z.strictObject({ type: z.literal('identify'), traits }),
  z.strictObject({ type: z.literal('group'), traits }),
]);
export type PlanRule = z.infer<typeof planRule>;

/** The key a rule is found by: the event name of a track rule, the call type of the others. */
export const ruleKey = (rule: { type: string; event?: string }): string => (rule.type === 'track' ? `track\u001f${rule.event}` : rule.type);

export const trackingPlanInput = z
  .strictObject({
    id: planId.optional(),
    name: z.string().trim().min(1).max(200),
    sources: z
      .array(z.string().min(1).max(200))
      .max(100)
      .default([])
      .describe(`write-key source names; empty: every source but "${PRODUCT_SOURCE}", whose events are never checked`),
    violations: z.enum(VIOLATION_MODES).default('allow').describe('allow: accept as sent; drop_properties: accept without the offending properties; block: refuse the event'),
    unplanned_events: z.enum(['allow', 'block']).default('allow').describe('a track event no rule names: accepted (and recorded), or refused'),
    rules: z.array(planRule).max(2000),
  })
  .superRefine((plan, ctx) => {
    const seen = new Map<string, number>();
    plan.rules.forEach((rule, i) => {
      const key = ruleKey(rule);
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['rules', i], message: `rules.${first} already covers ${rule.type === 'track' ? `the event "${rule.event}"` : `${rule.type} calls`}` });
      }
      seen.set(key, i);
    });
    plan.sources.forEach((source, i) => {
      if (source === PRODUCT_SOURCE) ctx.addIssue({ code: 'custom', path: ['sources', i], message: `events of the "${PRODUCT_SOURCE}" source are never checked` });
      if (plan.sources.indexOf(source) !== i) ctx.addIssue({ code: 'custom', path: ['sources', i], message: `"${source}" is named twice` });
    });
  })
  .describe('A tracking plan: the events a source may send and the JSON Schema of each');
export type TrackingPlanInput = z.infer<typeof trackingPlanInput>;

/** A plan as stored and published: its body with its id and version. */
export interface TrackingPlan {
  id: string;
  version: number;
  name: string;
  sources: string[];
  violations: ViolationMode;
  unplanned_events: 'allow' | 'block';
  rules: PlanRule[];
  created_at: string;
  created_by: string;
}
