import { recordProfileEvent, type ProfileEventDeps } from '../../ingest/profile-event.js';
import { POINTS_ADJUSTED } from './ledger-events.js';

export interface PointsAdjustment {
  /** The caller's id of the adjustment: posting it again changes nothing. */
  id: string;
  /** Signed, whole, not 0. */
  points: number;
  reason: string;
}

/** The message id of an adjustment: the same adjustment id always loads, and counts in the ledger, once. */
export const adjustmentMessageId = (id: string) => `cdp-loyalty-adjustment:${id}`;

/**
 * Records an admin's adjustment for the live profile `profileId` (a survivor) as a `Points Adjusted` event of
 * source cdp, so that the loyalty job finds it again in every rebuild.
 */
export async function adjustPoints(deps: ProfileEventDeps, profileId: string, a: PointsAdjustment): Promise<string> {
  const messageId = adjustmentMessageId(a.id);
  await recordProfileEvent(deps, profileId, { event: POINTS_ADJUSTED, messageId, properties: { adjustment_id: a.id, points: a.points, reason: a.reason } });
  return messageId;
}
