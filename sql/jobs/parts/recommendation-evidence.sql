-- A customer's evidence for a product, as of {as_of}: one row per product they bought (kind_rank 0) or viewed
-- (kind_rank 1) and each neighbour of it in product_affinities (bought_with, viewed), with the item score s;
-- `anchor` is the product bought or viewed.
SELECT h.profile_id AS profile_id, a.other_product_id AS product_id, a.score AS s, 0 AS kind_rank, a.product_id AS anchor
FROM (SELECT DISTINCT profile_id, product_id FROM ({{part:order-products}})) AS h
INNER JOIN (SELECT product_id, other_product_id, score FROM {{database}}.product_affinities WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND kind = 'bought_with') AS a
    ON a.product_id = h.product_id
UNION ALL
SELECT w.profile_id, a.other_product_id, a.score, 1, a.product_id
FROM (SELECT DISTINCT profile_id, product_id FROM ({{part:viewed-products}})) AS w
INNER JOIN (SELECT product_id, other_product_id, score FROM {{database}}.product_affinities WHERE as_of = {as_of:DateTime64(3, 'UTC')} AND kind = 'viewed') AS a
    ON a.product_id = w.product_id
