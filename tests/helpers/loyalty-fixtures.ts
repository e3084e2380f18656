/**
 * The loyalty tests' programme, in Europe/Berlin (UTC+1 until 29 March): levels Member 0 / Silver 100 / Gold 300
 * over a 30-day window, multipliers Silver × 1.5 and Gold × 2, points expiring one month after, SHOP_CURRENCY
 * EUR, and deduplication off so that a resent message id reaches the events table (the ledger must count it
 * once itself).
 */
export const LOYALTY_ENV = {
  SEGMENTS_TIME_ZONE: 'Europe/Berlin',
  SHOP_CURRENCY: 'EUR',
  LOYALTY_LEVELS: 'Member:0,Silver:100,Gold:300',
  LOYALTY_MULTIPLIERS: 'Silver:1.5,Gold:2',
  LOYALTY_LEVEL_WINDOW_DAYS: '30',
  LOYALTY_EXPIRY_MONTHS: '1',
  DEDUPE_WINDOW_SECONDS: '0',
};
