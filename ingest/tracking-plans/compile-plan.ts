import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { ruleKey, type PlanRule, type TrackingPlan, type ViolationMode } from './plan-definition.js';
import { InvalidTrackingPlanError, type PlanProblem } from './errors/invalid-tracking-plan-error.js';

// A plan's JSON Schemas compiled once per plan version (ajv generates a function per schema): the check of an
// event is then a map lookup and a call. An invalid schema is refused with ajv's error at its path in the plan.

const addFormats = formats.default;

/** What a rule checks: the event's `properties` (track, page, screen) or `traits` (identify, group). */
export type Holder = 'properties' | 'traits';

export interface CompiledRule {
  holder: Holder;
  /** Absent: the rule names the event and lets any properties through. */
  validate?: ValidateFunction;
}

export interface CompiledPlan {
  id: string;
  version: number;
  violations: ViolationMode;
  unplannedEvents: 'allow' | 'block';
  /** By ruleKey (plan-definition.ts). */
  rules: Map<string, CompiledRule>;
}

export const holderOf = (rule: Pick<PlanRule, 'type'>): Holder => (rule.type === 'identify' || rule.type === 'group' ? 'traits' : 'properties');

/** A JSON pointer ("/items/0/price") as the segments it names. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function newAjv(): Ajv2020 {
  // allErrors: every violation of an event is recorded, not only the first. Unknown keywords are refused
  // (strictSchema), so that a misspelt "requird" is an error at PUT rather than a rule that checks nothing;
  // ajv's advice about types is not (strictTypes), because draft 2020-12 allows what it warns about.
  const ajv = new Ajv2020({ allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false, logger: false });
  addFormats(ajv);
  return ajv;
}

const dotted = (base: string, segments: string[]) => [base, ...segments].join('.');

function schemaProblems(errors: ErrorObject[] | null | undefined, at: string): PlanProblem[] {
  return (errors ?? []).map((e) => ({ path: dotted(at, pointerSegments(e.instancePath)), message: `${e.message ?? 'is invalid'}${e.params && Object.keys(e.params).length > 0 ? ` (${JSON.stringify(e.params)})` : ''}` }));
}

/** Compiles every rule's schema; throws InvalidTrackingPlanError naming each schema ajv refuses. */
export function compilePlan(plan: Pick<TrackingPlan, 'id' | 'version' | 'violations' | 'unplanned_events' | 'rules'>): CompiledPlan {
  const ajv = newAjv();
  const rules = new Map<string, CompiledRule>();
  const problems: PlanProblem[] = [];
  plan.rules.forEach((rule, i) => {
    const holder = holderOf(rule);
    const schema = holder === 'traits' ? (rule as { traits?: object }).traits : (rule as { properties?: object }).properties;
    const at = `rules.${i}.${holder}`;
    if (schema === undefined) {
      rules.set(ruleKey(rule), { holder });
      return;
    }
    if (!ajv.validateSchema(schema)) {
      problems.push(...schemaProblems(ajv.errors, at));
      return;
    }
    try {
      rules.set(ruleKey(rule), { holder, validate: ajv.compile(schema) });
    } catch (err) {
      problems.push({ path: at, message: (err as Error).message });
    }
  });
  if (problems.length > 0) throw new InvalidTrackingPlanError(problems);
  return { id: plan.id, version: plan.version, violations: plan.violations, unplannedEvents: plan.unplanned_events, rules };
}
