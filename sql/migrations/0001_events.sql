-- Every accepted tracking event, one row each, as loaded by pipeline/ workers.
-- Hot fields are typed columns; properties, traits, context and integrations are kept as given (JSON text).
-- ORDER BY starts with the low-cardinality (type, event) pair and then profile_id: per-event-name queries
-- use the first columns, and per-profile queries still prune well because ClickHouse's generic exclusion
-- search on a second key column is effective when the first ones have few distinct values.
-- profile_id is filled by identity resolution at load time (empty until then).
CREATE TABLE IF NOT EXISTS {{database}}.events
(
    message_id          String,
    type                LowCardinality(String),
    event               LowCardinality(String),
    name                String,
    user_id             String,
    anonymous_id        String,
    profile_id          String,
    group_id            String,
    previous_id         String,
    timestamp           DateTime64(3, 'UTC'),
    original_timestamp  DateTime64(3, 'UTC'),
    sent_at             Nullable(DateTime64(3, 'UTC')),
    received_at         DateTime64(3, 'UTC'),
    loaded_at           DateTime64(3, 'UTC') DEFAULT now64(3),
    source_id           LowCardinality(String),
    order_id            String,
    revenue             Nullable(Decimal(18, 4)),
    currency            LowCardinality(String),
    url                 String,
    path                String,
    referrer            String,
    campaign_source     String,
    campaign_medium     String,
    campaign_name       String,
    campaign_term       String,
    campaign_content    String,
    ip                  String,
    user_agent          String,
    properties          String,
    traits              String,
    context             String,
    integrations        String,
    INDEX idx_message_id message_id TYPE bloom_filter(0.001) GRANULARITY 4,
    INDEX idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_anonymous_id anonymous_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_order_id order_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (type, event, profile_id, timestamp)
-- Keeps the hashes of the last inserts so that a retried insert (same insert_deduplication_token) is a no-op.
SETTINGS non_replicated_deduplication_window = 1000;
