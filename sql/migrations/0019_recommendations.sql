-- Product recommendations (job `recommendations`, segments/jobs/recommendations-job.ts), one snapshot per as_of.

-- Item-to-item scores the recommendations are drawn from (no customer in them: counts over all customers).
--   bought_with  product_id → other_product_id: orders holding both / sqrt(orders holding each) (cosine);
--   viewed       product_id → other_product_id: customers who viewed product_id and then bought
--                other_product_id within RECOMMENDATIONS_VIEW_WINDOW_DAYS / sqrt(customers who viewed the
--                one × customers who bought the other);
--   popular      product_id (other_product_id ''): customers who bought it / customers who bought anything.
-- evidence is the count above the line: orders, customers, customers.
CREATE TABLE IF NOT EXISTS {{database}}.product_affinities
(
    as_of             DateTime64(3, 'UTC'),
    kind              LowCardinality(String),
    product_id        String,
    other_product_id  String,
    evidence          UInt32,
    score             Float64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, kind, product_id, other_product_id);

-- Per customer (surviving profile) the top RECOMMENDATIONS_PER_PROFILE products they have not bought, rank 1
-- first; reason `bought_with:<product_id>`, `viewed:<product_id>` (the strongest evidence) or `popular`.
CREATE TABLE IF NOT EXISTS {{database}}.recommendations
(
    as_of       DateTime64(3, 'UTC'),
    profile_id  String,
    rank        UInt16,
    product_id  String,
    score       Float64,
    reason      String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(as_of)
ORDER BY (as_of, profile_id, rank);

CREATE VIEW IF NOT EXISTS {{database}}.recommendations_current AS
SELECT * FROM {{database}}.recommendations
WHERE as_of = (SELECT max(as_of) FROM {{database}}.job_runs FINAL WHERE job = 'recommendations' AND status = 'succeeded');
