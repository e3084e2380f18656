import { CdpError } from '../../../pipeline/core/errors/cdp-error.js';
import { TrackingPlanErrorCodes } from './tracking-plan-error-codes.js';

/** No tracking plan with this id (never made, or deleted): 404. */
export class TrackingPlanNotFoundError extends CdpError {
  constructor(readonly planId: string) {
    super(TrackingPlanErrorCodes.NotFound, 404, `no tracking plan "${planId}"`);
  }
}
