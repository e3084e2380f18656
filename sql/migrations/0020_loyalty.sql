-- Loyalty (job `loyalty`, segments/jobs/loyalty-job.ts, sql/jobs/loyalty.sql): every member's points ledger,
-- standing and level history, one snapshot per as_of, rebuilt from the events and the orders each time.

-- One row per ledger entry of a surviving profile, in the order they were applied (occurred_at, then entry_id):
--   earn    an order: floor(revenue × LOYALTY_POINTS_PER_UNIT × the multiplier of the level standing at the
--           start of the order's local day);
--   refund  an Order Refunded: floor(refunded amount × the same rate and multiplier), negative;
--   bonus   a LOYALTY_BONUS_EVENTS event;
--   redeem  a Points Redeemed event (properties.points), negative; status `rejected` (and not applied) when the
--           unexpired balance was short;
--   adjust  a Points Adjusted event of source cdp (POST /v1/profiles/:id/loyalty/adjustments), either sign;
--   expire  the unspent rest of an earn, bonus or positive adjust at its expires_at, negative.
-- Positive entries expire at expires_at (the end of the local day LOYALTY_EXPIRY_MONTHS after them); the
-- balance is the sum of the applied entries.
CREATE TABLE IF NOT EXISTS {{database}}.loyalty_ledger
(
    as_of        DateTime64(3, 'UTC'),
    profile_id   String,
    entry_id     String,
    kind         LowCardinality(String),
    points       Int64,
    status       LowCardinality(String),
    occurred_at  DateTime64(3, 'UTC'),
    expires_at   Nullable(DateTime64(3, 'UTC')),
    order_id     String,
    message_id   String,
    reason       String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id, occurred_at, entry_id);

CREATE VIEW IF NOT EXISTS {{database}}.loyalty_ledger_current AS
SELECT * FROM {{database}}.loyalty_ledger
WHERE as_of = (SELECT max(as_of) FROM {{database}}.job_runs FINAL WHERE job = 'loyalty' AND status = 'succeeded');

-- Each member's standing at as_of: balance, level (by net spend within LOYALTY_LEVEL_WINDOW_DAYS local days),
-- level_since (the latest change of level; NULL: never changed from the lowest), the points expiring within
-- 30 days, and every unspent lot still to expire as (local day at whose end it expires, points).
CREATE TABLE IF NOT EXISTS {{database}}.loyalty_standings
(
    as_of            DateTime64(3, 'UTC'),
    profile_id       String,
    balance          Int64,
    level            LowCardinality(String),
    level_since      Nullable(DateTime64(3, 'UTC')),
    window_spend     Decimal(18, 4),
    expiring_30d     Int64,
    expiring         Array(Tuple(on Date, points Int64))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id);

CREATE VIEW IF NOT EXISTS {{database}}.loyalty_current AS
SELECT * FROM {{database}}.loyalty_standings
WHERE as_of = (SELECT max(as_of) FROM {{database}}.job_runs FINAL WHERE job = 'loyalty' AND status = 'succeeded');

-- Every change of a member's level up to as_of (up or down), as the snapshot for as_of works it out: a level
-- rises with an order and falls with a refund or when spend leaves the rolling window (at the start of a local day).
CREATE TABLE IF NOT EXISTS {{database}}.loyalty_level_changes
(
    as_of        DateTime64(3, 'UTC'),
    profile_id   String,
    changed_at   DateTime64(3, 'UTC'),
    from_level   LowCardinality(String),
    to_level     LowCardinality(String),
    direction    LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id, changed_at);
