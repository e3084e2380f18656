import { z } from 'zod';

// Zod schemas of Segment's HTTP Tracking API calls (https://segment.com/docs/connections/spec/).
// Common fields are shared; each call type adds its own. Objects the spec leaves open (properties,
// traits, context, integrations) are kept exactly as given; e-commerce properties are not reshaped here.

export const CALL_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type CallType = (typeof CALL_TYPES)[number];

/**
 * The accepted event times: 1970-01-01T00:00:00Z up to (not including) 2100-01-01T00:00:00Z, the span every
 * ClickHouse date type the jobs and segments use can hold (Date and DateTime start at 1970). Events outside it
 * are refused with this message, not clamped: a clamped time would be a wrong one.
 */
export const MIN_EVENT_TIME = Date.UTC(1970, 0, 1);
export const END_EVENT_TIME = Date.UTC(2100, 0, 1);
export const TIME_RANGE_MESSAGE = 'must be from 1970-01-01T00:00:00Z to before 2100-01-01T00:00:00Z';
export const inTimeRange = (ms: number): boolean => ms >= MIN_EVENT_TIME && ms < END_EVENT_TIME;

/** Ids are strings in the spec; server SDKs often send numbers, which we keep as their decimal text. */
const id = z
  .union([z.string(), z.number().finite()])
  .transform((v) => (typeof v === 'number' ? String(v) : v))
  .pipe(z.string().max(1024, 'must be at most 1024 characters'));

/** An id that must be present: blank text counts as missing, as it does for userId/anonymousId. */
const requiredId = (message: string) => id.pipe(z.string().refine((v) => v.trim() !== '', message));

const time = z
  .iso.datetime({ offset: true, local: true, message: 'must be an ISO 8601 date-time' })
  .transform((v, ctx) => {
    // A date-time without an offset is read as UTC, as Segment does.
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
    if (!inTimeRange(ms)) {
      ctx.addIssue({ code: 'custom', message: TIME_RANGE_MESSAGE });
      return z.NEVER;
    }
    return ms;
  });

// A plain JSON object, checked without copying: z.record would rebuild every properties/context object
// key by key, which tripled the cost of validating an event.
const object = z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { message: 'must be a JSON object' });

const common = {
  type: z.enum(CALL_TYPES).optional(),
  userId: id.optional().nullable(),
  anonymousId: id.optional().nullable(),
  messageId: z.string().min(1).max(512).optional(),
  timestamp: time.optional(),
  originalTimestamp: time.optional(),
  sentAt: time.optional(),
  context: object.optional(),
  integrations: object.optional(),
};

const present = (v: string | null | undefined): v is string => typeof v === 'string' && v.trim() !== '';

function requireIdentity<T extends z.ZodType<{ userId?: string | null; anonymousId?: string | null }>>(schema: T) {
  return schema.superRefine((msg, ctx) => {
    if (!present(msg.userId) && !present(msg.anonymousId)) {
      ctx.addIssue({ code: 'custom', path: ['userId'], message: 'userId or anonymousId is required' });
    }
  });
}

export const callSchemas = {
  track: requireIdentity(
    z.object({ ...common, event: z.string().trim().min(1, 'event is required for track').max(512), properties: object.optional() }),
  ),
  identify: requireIdentity(z.object({ ...common, traits: object.optional() })),
  page: requireIdentity(
    z.object({ ...common, name: z.string().max(1024).optional().nullable(), category: z.string().max(1024).optional().nullable(), properties: object.optional() }),
  ),
  screen: requireIdentity(
    z.object({ ...common, name: z.string().max(1024).optional().nullable(), category: z.string().max(1024).optional().nullable(), properties: object.optional() }),
  ),
  group: requireIdentity(z.object({ ...common, groupId: requiredId('groupId is required for group'), traits: object.optional() })),
  alias: z.object({
    ...common,
    userId: requiredId('userId is required for alias'),
    previousId: requiredId('previousId is required for alias'),
  }),
} satisfies Record<CallType, z.ZodType>;

export type TrackingMessage = z.output<(typeof callSchemas)[CallType]> & {
  event?: string;
  name?: string | null;
  category?: string | null;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  groupId?: string;
  previousId?: string;
};

/** The top level of `POST /v1/batch`: the items are validated one by one so that good ones go through. */
export const batchSchema = z.object({
  batch: z.array(z.unknown(), { message: 'batch must be an array of events' }),
  context: object.optional(),
  integrations: object.optional(),
});

export interface Issue {
  path: string;
  code: string;
  message: string;
}

export type Validation = { ok: true; message: TrackingMessage } | { ok: false; issues: Issue[] };

export function toIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message }));
}

/** Validates one call; `type` comes from the route, or from the item itself inside a batch. */
export function validateCall(type: string | undefined, body: unknown): Validation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, issues: [{ path: '', code: 'invalid_type', message: 'an event must be a JSON object' }] };
  }
  if (!type || !(CALL_TYPES as readonly string[]).includes(type)) {
    return { ok: false, issues: [{ path: 'type', code: 'invalid_value', message: `type must be one of ${CALL_TYPES.join(', ')}` }] };
  }
  const parsed = callSchemas[type as CallType].safeParse(body);
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error) };
  const message = parsed.data as TrackingMessage;
  message.type = type as CallType;
  return { ok: true, message };
}
