-- recommendations: per customer seen by {as_of} (first event not after it), under the surviving profile, the
-- top {per_profile} (RECOMMENDATIONS_PER_PROFILE) products they have not bought, from item-to-item scores
-- (product_affinities, written first for the same as_of) over the orders the orders job's snapshot for the
-- same as_of counts (fully refunded orders left out; each order once) and the Product Viewed events before it.
--
-- Item-to-item (each product keeps its {neighbours} best neighbours of each kind, ties by product id):
--   bought_with(a → b) = orders(a and b) / sqrt(orders(a) × orders(b))                   (cosine over orders)
--   viewed(p → q)      = viewers(p then bought q within {view_days} days) / sqrt(viewers(p) × buyers(q))
--                        (cosine over customers: a customer counts when an order of theirs holding q came
--                        after a view of p, at most {view_days} × 24 hours later; q ≠ p)
--   popular(q)         = buyers(q) / buyers of anything
-- A customer's score of a product is the sum of the item scores of their evidence: every product they bought
-- (bought_with) and every product they viewed (viewed). The reason is the single strongest piece of evidence
-- (ties: bought_with before viewed, then the smaller product id). Products they bought are never recommended.
-- When fewer than {per_profile} products have evidence, the most popular products they have not bought fill
-- the rest, after every personal one, with reason `popular` and the popular score; a customer with no
-- history gets the popular list. Order within each: score, then product id. Scores are rounded to 9 decimal
-- places before ranking, so that the order in which a sum of floats was added cannot change a rank: running
-- again for the same as_of writes the same rows.
DELETE FROM {{database}}.product_affinities WHERE as_of = {as_of:DateTime64(3, 'UTC')};

DELETE FROM {{database}}.recommendations WHERE as_of = {as_of:DateTime64(3, 'UTC')};

INSERT INTO {{database}}.product_affinities (as_of, kind, product_id, other_product_id, evidence, score)
SELECT {as_of:DateTime64(3, 'UTC')}, 'popular', product_id, '', buyers, round(buyers / (SELECT uniqExact(profile_id) FROM ({{part:order-products}})), 9)
FROM
(
    SELECT product_id, toUInt32(uniqExact(profile_id)) AS buyers
    FROM ({{part:order-products}})
    GROUP BY product_id
);

INSERT INTO {{database}}.product_affinities (as_of, kind, product_id, other_product_id, evidence, score)
SELECT {as_of:DateTime64(3, 'UTC')}, 'bought_with', a, b, co, score
FROM
(
    -- The diagonal (a, a) counts the orders holding a; the windows read it for both ends of a pair.
    SELECT a, b, co, round(co / sqrt(sumIf(co, a = b) OVER (PARTITION BY a) * sumIf(co, a = b) OVER (PARTITION BY b)), 9) AS score
    FROM
    (
        SELECT pair.1 AS a, pair.2 AS b, toUInt32(count()) AS co
        FROM
        (
            SELECT order_id, groupArray(product_id) AS products
            FROM ({{part:order-products}})
            GROUP BY order_id
        )
        ARRAY JOIN arrayFlatten(arrayMap(x -> arrayMap(y -> (x, y), products), products)) AS pair
        GROUP BY a, b
    )
)
WHERE a != b
ORDER BY a, score DESC, b
LIMIT {neighbours:UInt32} BY a;

INSERT INTO {{database}}.product_affinities (as_of, kind, product_id, other_product_id, evidence, score)
SELECT {as_of:DateTime64(3, 'UTC')}, 'viewed', t.p, t.q, t.n, round(t.n / sqrt(vc.viewers * bc.evidence), 9) AS score
FROM
(
    SELECT v.product_id AS p, b.product_id AS q, toUInt32(uniqExact(v.profile_id)) AS n
    FROM ({{part:viewed-products}}) AS v
    GLOBAL INNER JOIN ({{part:order-products}}) AS b ON b.profile_id = v.profile_id
    WHERE b.ordered_at > v.viewed_at AND b.ordered_at <= v.viewed_at + toIntervalDay({view_days:UInt32}) AND b.product_id != v.product_id
    GROUP BY p, q
) AS t
INNER JOIN
(
    SELECT product_id, uniqExact(profile_id) AS viewers FROM ({{part:viewed-products}}) GROUP BY product_id
) AS vc ON vc.product_id = t.p
INNER JOIN
(
    SELECT product_id, evidence FROM {{database}}.product_affinities WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND kind = 'popular'
) AS bc ON bc.product_id = t.q
ORDER BY t.p, score DESC, t.q
LIMIT {neighbours:UInt32} BY t.p;

INSERT INTO {{database}}.recommendations (as_of, profile_id, rank, product_id, score, reason)
SELECT
    {as_of:DateTime64(3, 'UTC')},
    profile_id,
    row_number() OVER (PARTITION BY profile_id ORDER BY tier, score DESC, product_id),
    product_id,
    score,
    reason
FROM
(
    SELECT profile_id, product_id, min(source) AS tier, argMin(weight, source) AS score, argMin(why, source) AS reason
    FROM
    (
        -- Personal: the customer's best {per_profile} products with evidence (not bought), then the strongest
        -- piece of evidence of each. Pairs are grouped by the hashes of their two ids (a 128-bit key: a clash
        -- needs two ids to share a 64-bit hash), which is several times faster than grouping millions of pairs
        -- of strings; the reason is found for the kept pairs only.
        SELECT t.profile_id, t.product_id, 0 AS source, t.weight,
               concat(if(best.1 = 0, 'bought_with:', 'viewed:'), best.2) AS why
        FROM
        (
            SELECT t.customer AS profile_id, t.product AS product_id, t.weight AS weight,
                   argMin((c.kind_rank, c.anchor), (-c.s, c.kind_rank, c.anchor)) AS best
            FROM ({{part:recommendation-evidence}}) AS c
            INNER JOIN
            (
                SELECT any(e.profile_id) AS customer, any(e.product_id) AS product, round(sum(e.s), 9) AS weight,
                       cityHash64(e.profile_id) AS hp, cityHash64(e.product_id) AS hq
                FROM ({{part:recommendation-evidence}}) AS e
                WHERE (hp, hq) GLOBAL NOT IN (SELECT cityHash64(profile_id), cityHash64(product_id) FROM ({{part:order-products}}))
                GROUP BY hp, hq
                ORDER BY hp, weight DESC, product
                LIMIT {per_profile:UInt32} BY hp
            ) AS t ON t.hp = cityHash64(c.profile_id) AND t.hq = cityHash64(c.product_id)
            GROUP BY t.hp, t.hq, t.customer, t.product, t.weight
        ) AS t
        UNION ALL
        -- Popular: of the first 2 × {per_profile} + (products bought) in the popular list, those not bought:
        -- at least 2 × {per_profile}, so that {per_profile} remain besides any personal ones.
        SELECT p.survivor, pop.1, 1, pop.2, 'popular'
        FROM
        (
            {{part:profiles-seen}}
        ) AS p
        GLOBAL LEFT JOIN
        (
            SELECT profile_id, groupUniqArray(product_id) AS products FROM ({{part:order-products}}) GROUP BY profile_id
        ) AS b ON b.profile_id = p.survivor
        ARRAY JOIN arrayFilter(x -> NOT has(b.products, x.1), arraySlice(
            (
                SELECT groupArray((product_id, score))
                FROM (SELECT product_id, score FROM {{database}}.product_affinities WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND kind = 'popular' ORDER BY score DESC, product_id)
            ),
            1, 2 * {per_profile:UInt32} + length(b.products))) AS pop
    )
    GROUP BY profile_id, product_id
)
ORDER BY profile_id, tier, score DESC, product_id
LIMIT {per_profile:UInt32} BY profile_id;
