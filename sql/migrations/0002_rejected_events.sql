-- Events the tracking API refused, with why. Nothing is dropped silently: a client that sent a bad event
-- got its index and reasons back, and the event itself is kept here for whoever has to fix the sender.
CREATE TABLE IF NOT EXISTS {{database}}.rejected_events
(
    rejection_id    String,
    received_at     DateTime64(3, 'UTC'),
    loaded_at       DateTime64(3, 'UTC') DEFAULT now64(3),
    source_id       LowCardinality(String),
    request_id      String,
    route           LowCardinality(String),
    batch_index     Int32,
    reason          LowCardinality(String),
    errors          String,
    payload         String,
    ip              String,
    INDEX idx_rejection_id rejection_id TYPE bloom_filter(0.001) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (source_id, reason, received_at)
TTL toDateTime(received_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000;
