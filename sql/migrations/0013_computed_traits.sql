-- Computed traits (segments/computed-traits/): per-customer numbers and values a shop defines over its events
-- ("spent in the last 90 days", "favourite category"), one snapshot per as_of written by the `traits` job.

-- One row per version; editing a definition inserts the next version, deleting inserts a tombstone.
CREATE TABLE IF NOT EXISTS {{database}}.computed_trait_definitions
(
    trait_id     String,
    version      UInt32,
    name         String,
    kind         LowCardinality(String),   -- count, sum, avg, min, max, first, last, most_frequent, ...
    definition   String,                   -- the whole definition as JSON
    created_at   DateTime64(3, 'UTC'),
    created_by   String,
    deleted      UInt8
)
ENGINE = MergeTree
ORDER BY (trait_id, version);

CREATE VIEW IF NOT EXISTS {{database}}.computed_trait_definitions_current AS
SELECT *
FROM
(
    SELECT * FROM {{database}}.computed_trait_definitions ORDER BY trait_id, version DESC LIMIT 1 BY trait_id
)
WHERE deleted = 0;

-- One row per (as_of, trait, surviving profile) with a matching event; a profile without one has no row (a
-- count of 0 is implied). Numbers in value_number, text in value_string, unique_list in value_list.
CREATE TABLE IF NOT EXISTS {{database}}.computed_traits
(
    as_of          DateTime64(3, 'UTC'),
    trait_id       LowCardinality(String),
    trait_version  UInt32,
    profile_id     String,
    value_number   Nullable(Float64),
    value_string   Nullable(String),
    value_list     Array(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, trait_id, profile_id);

-- The latest successful snapshot, without traits deleted since.
CREATE VIEW IF NOT EXISTS {{database}}.computed_traits_current AS
SELECT * FROM {{database}}.computed_traits
WHERE as_of = (SELECT max(as_of) FROM {{database}}.job_runs FINAL WHERE job = 'traits' AND status = 'succeeded')
  AND trait_id IN (SELECT trait_id FROM {{database}}.computed_trait_definitions_current);
