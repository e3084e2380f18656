-- Identity graph as kept in ClickHouse. Redis holds the live graph (identity/lua/resolve-identities.lua);
-- these tables are its history and the way back: `cdp identity rebuild` replays identity_edges.
-- Loads may be retried, so tables collapse repeated rows of one fact (Replacing engines, read with argMax
-- or FINAL in the views), except identity_edges.

-- Every identifier every event carried, with the profile it resolved to and the outcome. Plain MergeTree:
-- a retried load repeats an event's edges with a later seq, and the rebuild replays each event at its
-- first (min) seq, so no row may be collapsed away.
CREATE TABLE IF NOT EXISTS {{database}}.identity_edges
(
    identifier_type  LowCardinality(String),
    identifier       String,
    -- position of the identifier in the event's input to the resolver
    ordinal          UInt8,
    message_id       String,
    source_id        LowCardinality(String),
    profile_id       String,
    outcome          LowCardinality(String),
    seq              UInt64,
    timestamp        DateTime64(3, 'UTC'),
    received_at      DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (identifier_type, identifier, message_id);

-- Identifier -> profile, versioned by resolution order: the latest version is the live link.
CREATE TABLE IF NOT EXISTS {{database}}.identities
(
    identifier_type  LowCardinality(String),
    identifier       String,
    profile_id       String,
    version          UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (identifier_type, identifier);

-- A merged profile reads as its survivor. One hop always: merging B (which absorbed C) into A writes both
-- B -> A and C -> A. Events keep the profile they were loaded with; views apply these overrides.
CREATE TABLE IF NOT EXISTS {{database}}.profile_overrides
(
    old_profile_id   String,
    profile_id       String,
    version          UInt64,
    merged_at        DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY old_profile_id;

-- Every merge and every refused link, with the rule and the event that caused it.
CREATE TABLE IF NOT EXISTS {{database}}.identity_merges
(
    kind             LowCardinality(String),
    from_profiles    Array(String),
    profile_id       String,
    rule             LowCardinality(String),
    identifier_type  LowCardinality(String),
    identifier       String,
    message_id       String,
    source_id        LowCardinality(String),
    seq              UInt64,
    at               DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(seq)
ORDER BY (message_id, kind, identifier_type, identifier, profile_id);

-- Traits from identify calls and context.traits, with the time of the event that carried them.
CREATE TABLE IF NOT EXISTS {{database}}.profile_traits
(
    profile_id       String,
    trait            String,
    value            String,
    timestamp        DateTime64(3, 'UTC'),
    message_id       String,
    received_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (profile_id, trait, message_id);

-- Identifiers of deleted profiles, as sha1("type\x1fvalue") only: later events carrying them are dropped.
CREATE TABLE IF NOT EXISTS {{database}}.suppressed_identifiers
(
    identifier_hash  String,
    suppressed_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY identifier_hash;

-- A record of each deletion, without the personal data.
CREATE TABLE IF NOT EXISTS {{database}}.profile_deletions
(
    deletion_id      String,
    profile_hash     String,
    profiles         UInt32,
    identifiers      UInt32,
    requested_by     String,
    deleted_at       DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY deleted_at;
