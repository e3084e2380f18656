import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { TrackingPlanErrorCodes } from './tracking-plan-error-codes.js';

export interface PlanProblem {
  /** Where in the plan, e.g. "rules.2.properties.properties.price.type". */
  path: string;
  /** ajv's own words. */
  message: string;
}

/** A plan whose JSON Schemas ajv cannot compile: 400 with each problem at its path in the plan. */
export class InvalidTrackingPlanError extends CdpError {
  constructor(readonly problems: PlanProblem[]) {
    super(TrackingPlanErrorCodes.Invalid, 400, `invalid tracking plan: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { reply: { problems } });
  }
}
