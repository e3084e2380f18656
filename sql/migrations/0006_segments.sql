-- Segments (segments/): versioned definitions, the runs of the membership job, the entered/exited log and
-- the membership state it feeds. A run's changes count only once its segment_runs row is written (the
-- commit record); the next run of the segment deletes rows of a run that died before committing.

-- One row per version; editing a definition inserts the next version, deleting inserts a tombstone.
CREATE TABLE IF NOT EXISTS {{database}}.segments
(
    segment_id     String,
    version        UInt32,
    name           String,
    description    String,
    kind           LowCardinality(String),   -- 'rules' (JSON definition) or 'sql' (analyst SELECT)
    definition     String,                   -- the rules as JSON, or the SQL text
    every_minutes  UInt32,
    created_at     DateTime64(3, 'UTC'),
    created_by     String,
    deleted        UInt8
)
ENGINE = MergeTree
ORDER BY (segment_id, version);

CREATE VIEW IF NOT EXISTS {{database}}.segments_current AS
SELECT *
FROM
(
    SELECT * FROM {{database}}.segments ORDER BY segment_id, version DESC LIMIT 1 BY segment_id
)
WHERE deleted = 0;

-- One row per committed run; seq numbers a segment's runs 1, 2, 3, ...
CREATE TABLE IF NOT EXISTS {{database}}.segment_runs
(
    segment_id   String,
    seq          UInt64,
    version      UInt32,
    run_id       String,
    as_of        DateTime64(3, 'UTC'),
    size         UInt64,
    entered      UInt64,
    exited       UInt64,
    started_at   DateTime64(3, 'UTC'),
    finished_at  DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (segment_id, seq);

-- One row per profile that entered or left a segment in a run.
CREATE TABLE IF NOT EXISTS {{database}}.segment_changes
(
    segment_id   String,
    seq          UInt64,
    version      UInt32,
    as_of        DateTime64(3, 'UTC'),
    profile_id   String,
    change       Enum8('entered' = 1, 'exited' = 2)
)
ENGINE = MergeTree
ORDER BY (segment_id, seq, profile_id);

-- Membership state: the latest change per (segment, profile), kept by a materialised view over the log.
CREATE TABLE IF NOT EXISTS {{database}}.segment_membership
(
    segment_id   String,
    profile_id   String,
    seq          UInt64,
    version      UInt32,
    is_member    UInt8,
    since        DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(seq)
ORDER BY (segment_id, profile_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.segment_membership_mv TO {{database}}.segment_membership AS
SELECT segment_id, profile_id, seq, version, toUInt8(change = 'entered') AS is_member, as_of AS since
FROM {{database}}.segment_changes;

CREATE VIEW IF NOT EXISTS {{database}}.segment_members_current AS
SELECT segment_id, profile_id, since, seq, version
FROM {{database}}.segment_membership FINAL
WHERE is_member = 1;

-- The member list an analyst SQL segment returned, per run, read back by the diff in the same run. Staged
-- rows are only needed for that run; the TTL clears them.
CREATE TABLE IF NOT EXISTS {{database}}.segment_staging
(
    segment_id   String,
    seq          UInt64,
    profile_id   String,
    staged_at    DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (segment_id, seq, profile_id)
TTL staged_at + INTERVAL 1 DAY;
