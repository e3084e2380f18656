-- Every finished delivery of an event destination (pipeline/destinations/): delivered, dead-lettered, or
-- stopped by a 410 Gone. One row per outcome (a replayed delivery adds another under the same delivery id).
-- Counts and states only: no event, secret or write key, so no customer data to erase.
CREATE TABLE IF NOT EXISTS {{database}}.destination_deliveries
(
    delivery_id       String,
    destination_id    LowCardinality(String),
    events            UInt32,
    status            LowCardinality(String),
    http_status       UInt16,
    attempts          UInt32,
    first_attempt_at  DateTime64(3, 'UTC'),
    delivered_at      Nullable(DateTime64(3, 'UTC')),
    error             String,
    recorded_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(first_attempt_at)
ORDER BY (destination_id, first_attempt_at, delivery_id)
TTL toDateTime(first_attempt_at) + INTERVAL 90 DAY;
