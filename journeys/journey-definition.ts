import { z } from 'zod';
import { resourceId } from '../pipeline/core/resource-id.js';
import { LIFECYCLE_STAGES } from '../segments/customer-states.js';
import { condition, propertyFilter, type Condition, type PropertyFilter } from '../segments/definition/segment-definition.js';

// A journey as PUT: how profiles enter, what makes them leave, the goal, and the steps, a graph from `start`.
// The schema checks each part; journeys/definition-check.ts checks the whole (references, reachability,
// cycles, templates, segments, subscription groups).

const eventName = z.string().trim().min(1).max(200);

const durationFields = z.strictObject({
  seconds: z.number().int().min(0).max(366 * 86400).optional(),
  minutes: z.number().int().min(0).max(366 * 1440).optional(),
  hours: z.number().int().min(0).max(366 * 24).optional(),
  days: z.number().int().min(0).max(366).optional(),
});
export type Duration = z.infer<typeof durationFields>;

/** A duration in one or more units, summed: `{"minutes": 30}`, `{"days": 1, "hours": 12}`. */
export const duration = durationFields
  .refine((d) => durationMs(d) > 0, 'a duration of seconds, minutes, hours or days, more than 0')
  .refine((d) => durationMs(d) <= 366 * 86_400_000, 'at most 366 days');

export function durationMs(d: Duration): number {
  return ((d.days ?? 0) * 86400 + (d.hours ?? 0) * 3600 + (d.minutes ?? 0) * 60 + (d.seconds ?? 0)) * 1000;
}

const stepId = resourceId;

export const entry = z.union([
  z.strictObject({ event: eventName, where: z.array(propertyFilter).max(20).optional() }).describe('an instance starts when the profile\'s track event of this name is loaded (and its properties pass `where`)'),
  z.strictObject({ segment: resourceId }).describe('an instance starts for each profile a committed run of the segment enters'),
  z.strictObject({ lifecycle: z.strictObject({ to: z.enum(LIFECYCLE_STAGES) }) }).describe('an instance starts for each profile the lifecycle job moves to this stage'),
  z
    .strictObject({
      date_trait: z.string().trim().min(1).max(200),
      days_before: z.number().int().min(0).max(365).default(0),
      at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00 to 23:59'),
    })
    .describe('each day at `at` (JOURNEYS_TIME_ZONE), an instance starts for each profile whose trait date (month and day) is `days_before` days ahead'),
]);
export type JourneyEntry = z.infer<typeof entry>;

export const reEntry = z.union([z.enum(['never', 'after_exit']), z.strictObject({ after: duration })]);
export type ReEntry = z.infer<typeof reEntry>;

export const step = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('wait'), duration, next: stepId }),
  z.strictObject({ type: z.literal('wait_for'), event: eventName, timeout: duration, on_event: stepId, on_timeout: stepId }),
  z.strictObject({ type: z.literal('branch'), condition, yes: stepId, no: stepId }),
  z.strictObject({
    type: z.literal('send'),
    channel: z.enum(['email', 'sms', 'webhook']),
    template: resourceId,
    subscription_group: resourceId.optional(),
    destination_id: z.string().min(1).max(64).optional().describe('channel webhook: the event destination that carries it'),
    next: stepId,
  }),
  z.strictObject({ type: z.literal('exit') }),
]);
export type JourneyStep = z.infer<typeof step>;

export const journeyInput = z
  .strictObject({
    id: resourceId.optional(),
    name: z.string().trim().min(1).max(200),
    entry,
    re_entry: reEntry.default('after_exit').describe('`never`; `after_exit` (default: once the previous instance has left); or `{"after": <duration>}` since the previous instance left'),
    exit_on: z.strictObject({ event: eventName }).optional().describe('the profile leaves at once when this event of theirs is loaded'),
    goal: z.strictObject({ event: eventName, within: duration }).optional().describe('reached when this event of the profile is loaded within `within` of entering (also after the instance has left)'),
    start: stepId,
    steps: z.record(stepId, step).refine((s) => Object.keys(s).length >= 1 && Object.keys(s).length <= 100, '1 to 100 steps'),
  })
  .meta({ id: 'JourneyDefinition', description: 'A journey: entry, re-entry rule, exit event, goal, and its steps from `start`' });
export type JourneyInput = z.infer<typeof journeyInput>;
/** A journey's definition as stored in each version (without its id). */
export type JourneyDefinition = Omit<JourneyInput, 'id'>;

/** The steps a step leads to, with the field naming each. */
export function nextSteps(s: JourneyStep): { field: string; to: string }[] {
  switch (s.type) {
    case 'wait':
    case 'send':
      return [{ field: 'next', to: s.next }];
    case 'wait_for':
      return [{ field: 'on_event', to: s.on_event }, { field: 'on_timeout', to: s.on_timeout }];
    case 'branch':
      return [{ field: 'yes', to: s.yes }, { field: 'no', to: s.no }];
    case 'exit':
      return [];
  }
}

/** Every track event name a definition reacts to: entry, exit, goal and the waits for an event. */
export function eventsOf(d: JourneyDefinition): string[] {
  const names = new Set<string>();
  if ('event' in d.entry) names.add(d.entry.event);
  if (d.exit_on) names.add(d.exit_on.event);
  if (d.goal) names.add(d.goal.event);
  for (const s of Object.values(d.steps)) if (s.type === 'wait_for') names.add(s.event);
  return [...names];
}

export type { Condition, PropertyFilter };
