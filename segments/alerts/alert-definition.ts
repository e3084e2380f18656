import { z } from 'zod';
import { resourceId } from '../../pipeline/core/resource-id.js';
import { webhookUrl } from '../destinations/webhook-url.js';
import { METRIC_NAMES, alertMetric } from './alert-metrics.js';
import { THRESHOLD_OPS } from './alert-types.js';

// An alert as it is defined: a metric, and either a threshold or an anomaly rule, and the webhook its state
// changes go to. What is stored (versioned, in ClickHouse) is all of it but the webhook's secret.

export const FOR_MINUTES_MAX = 1440;
const SECRET_MIN_LENGTH = 32;
const SECRET_MAX_LENGTH = 256;

const threshold = z
  .strictObject({
    op: z.enum(THRESHOLD_OPS).describe('the value is greater than (gt), at least (gte), less than (lt) or at most (lte) `value`'),
    value: z.number(),
    for_minutes: z.number().int().min(1).max(FOR_MINUTES_MAX).default(1).describe('firing once the condition held at every minute evaluated over this many minutes (1: at once)'),
  })
  .describe('fires when the condition held for for_minutes; resolves at the first evaluation where it does not hold');

const anomaly = z
  .strictObject({
    sensitivity: z.number().positive().max(100).default(3).describe('how many scaled MADs (1.4826 × MAD) the value must stray from the median'),
    min_change: z.number().min(0).describe("the least absolute distance from the median that counts, in the metric's unit: quiet hours do not page anyone"),
  })
  .describe('fires while the value strays from its baseline: the same minute of the week over the previous 4 weeks (median and MAD), or the trailing 3 hours while the history is shorter');

const metric = z
  .string()
  .max(64)
  .refine((m) => alertMetric(m) !== undefined, `must be one of ${METRIC_NAMES.join(', ')} (N: hours, 1 to 9999)`)
  .describe(`one of ${METRIC_NAMES.join(', ')}`);

const definitionFields = {
  name: z.string().trim().min(1).max(200),
  metric,
  threshold: threshold.optional(),
  anomaly: anomaly.optional(),
};

const oneRule = (d: { threshold?: unknown; anomaly?: unknown }, ctx: z.core.$RefinementCtx) => {
  if ((d.threshold === undefined) === (d.anomaly === undefined)) ctx.addIssue({ code: 'custom', path: ['threshold'], message: 'give either threshold or anomaly, not both, not neither' });
};

/** The body of PUT and POST /v1/alerts. */
export const alertInput = z
  .strictObject({
    id: resourceId.optional(),
    ...definitionFields,
    webhook: z.strictObject({
      url: webhookUrl.describe("where each state change is POSTed, signed like the audience webhooks"),
      secret: z
        .string()
        .min(SECRET_MIN_LENGTH, `must be at least ${SECRET_MIN_LENGTH} characters`)
        .max(SECRET_MAX_LENGTH, `must be at most ${SECRET_MAX_LENGTH} characters`)
        .describe('HMAC-SHA256 key of x-cdp-signature; kept in Redis, never shown again'),
    }),
  })
  .superRefine(oneRule);

export type AlertInput = z.infer<typeof alertInput>;

/** The stored definition: the input without its id and the webhook's secret. */
export const alertDefinition = z.strictObject({ ...definitionFields, webhook: z.strictObject({ url: z.string() }) }).superRefine(oneRule);

export type AlertDefinition = z.infer<typeof alertDefinition>;

export function definitionOf(input: AlertInput | AlertDefinition): AlertDefinition {
  return {
    name: input.name,
    metric: input.metric,
    ...(input.threshold ? { threshold: input.threshold } : {}),
    ...(input.anomaly ? { anomaly: input.anomaly } : {}),
    webhook: { url: input.webhook.url },
  };
}

/** A stored version. */
export interface Alert extends AlertDefinition {
  id: string;
  version: number;
  created_at: string;
  created_by: string;
}
