import type { ErrorObject } from 'ajv/dist/2020.js';
import type { PlanViolation, ViolationType } from '../../pipeline/core/load-job.js';
import { pointerSegments, type CompiledPlan, type Holder } from './compile-plan.js';
import { ruleKey } from './plan-definition.js';

// One event checked against its source's plan: the violations, named as RudderStack names them, each with its
// path in the event and the schema's message. Pure but for drop_properties, which removes the offending
// values from the event in place (it is the request's own parsed copy).

/** What an event's check decided. */
export interface PlanVerdict {
  violations: PlanViolation[];
  /** Refuse the event (violations: block, or an unplanned event with unplanned_events: block). */
  block: boolean;
}

/** The part of a tracking message a plan looks at. */
export interface PlannedMessage {
  type?: string;
  event?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

function violationOf(e: ErrorObject): { violation: ViolationType; segments: string[] } {
  const segments = pointerSegments(e.instancePath);
  switch (e.keyword) {
    case 'required':
    case 'dependentRequired':
      return { violation: 'required_missing', segments: [...segments, String((e.params as { missingProperty: string }).missingProperty)] };
    case 'type':
      return { violation: 'datatype_mismatch', segments };
    case 'additionalProperties':
      return { violation: 'additional_property', segments: [...segments, String((e.params as { additionalProperty: string }).additionalProperty)] };
    case 'unevaluatedProperties':
      return { violation: 'additional_property', segments: [...segments, String((e.params as { unevaluatedProperty: string }).unevaluatedProperty)] };
    default:
      // enum, const, pattern, format, minimum/maximum and the other value constraints.
      return { violation: 'format_mismatch', segments };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Removes the value at `segments` from `root`. A value inside an array goes with the nearest property holding
 * that array, so that the indexes of other violations stay true; the holder itself is never removed.
 */
function removeAt(root: Record<string, unknown>, segments: string[]): void {
  let objectDepth = -1;
  let at: unknown = root;
  const containers: unknown[] = [];
  for (let i = 0; i < segments.length; i++) {
    containers.push(at);
    if (isObject(at)) objectDepth = i;
    if (at === null || typeof at !== 'object') return;
    at = (at as Record<string, unknown>)[segments[i]!];
  }
  if (objectDepth < 0) return;
  delete (containers[objectDepth] as Record<string, unknown>)[segments[objectDepth]!];
}

/** Checks a message of a planned source; undefined when it breaks nothing (the common case allocates nothing). */
export function checkEvent(plan: CompiledPlan, message: PlannedMessage): PlanVerdict | undefined {
  const type = message.type;
  if (type === undefined || type === 'alias') return undefined;
  const rule = plan.rules.get(type === 'track' ? ruleKey({ type, event: message.event }) : type);
  if (!rule) {
    if (type !== 'track') return undefined;
    return {
      violations: [{ violation: 'unplanned_event', path: 'event', message: `"${message.event}" is not an event of tracking plan "${plan.id}"` }],
      block: plan.unplannedEvents === 'block',
    };
  }
  const validate = rule.validate;
  if (!validate) return undefined;
  const holder: Holder = rule.holder;
  const data = message[holder] ?? EMPTY;
  if (validate(data)) return undefined;
  const found = (validate.errors ?? []).map(violationOf);
  const violations = found.map(({ violation, segments }, i) => ({ violation, path: [holder, ...segments].join('.'), message: validate.errors![i]!.message ?? 'is invalid' }));
  if (plan.violations === 'drop_properties' && data !== EMPTY) {
    for (const { violation, segments } of found) if (violation !== 'required_missing') removeAt(data as Record<string, unknown>, segments);
  }
  return { violations, block: plan.violations === 'block' };
}
