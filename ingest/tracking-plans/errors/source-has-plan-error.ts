import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { TrackingPlanErrorCodes } from './tracking-plan-error-codes.js';

/**
 * One plan per source at a time: a plan covering a source another live plan covers is refused (409), naming
 * that plan. A plan with no sources covers every source, so it conflicts with any other plan.
 */
export class SourceHasPlanError extends CdpError {
  constructor(source: string | undefined, otherPlan: string) {
    const what = source === undefined ? 'every source' : `source "${source}"`;
    super(TrackingPlanErrorCodes.SourceHasPlan, 409, `${what} is already covered by tracking plan "${otherPlan}": change or delete that plan first (one plan per source)`, {
      reply: { plan_id: otherPlan, ...(source === undefined ? {} : { source }) },
    });
  }
}
