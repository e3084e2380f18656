-- Messages of journeys (journeys/messages/): one row per message id, rewritten as its status changes. A send
-- is recorded `sending` before the channel is called and `sent` after, so a crash in between leaves
-- `sending` and the retried step sends again under the same message id (receivers deduplicate by it).
-- Statuses: sending, sent, suppressed (reason: no_address, unsubscribed, consent_denied, frequency_cap,
-- profile_deleted), held (quiet_hours, until held_until), failed (reason: the channel's error). The version
-- orders the rows of one message; read the latest (FINAL, or ORDER BY version DESC LIMIT 1). No address or
-- message text is kept: the profile is the customer column, so a deletion clears their rows.
CREATE TABLE IF NOT EXISTS {{database}}.messages
(
    message_id          String,
    journey_id          String,
    journey_version     UInt32,
    step                String,
    instance_id         String,
    profile_id          String,
    channel             LowCardinality(String),
    template_id         String,
    subscription_group  String,
    status              LowCardinality(String),
    reason              String,
    provider_id         String,
    attempts            UInt32,
    held_until          Nullable(DateTime64(3, 'UTC')),
    sent_at             Nullable(DateTime64(3, 'UTC')),
    updated_at          DateTime64(3, 'UTC'),
    version             UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY message_id;
