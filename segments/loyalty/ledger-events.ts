// The track events the loyalty ledger reads besides orders, refunds and LOYALTY_BONUS_EVENTS.

/** A customer spent points (`properties.points`); sent by the shop. */
export const POINTS_REDEEMED = 'Points Redeemed';

/** An admin's adjustment (`properties.points`, `reason`, `adjustment_id`); recorded by the product, source cdp. */
export const POINTS_ADJUSTED = 'Points Adjusted';
