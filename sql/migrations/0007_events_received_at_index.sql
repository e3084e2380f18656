-- The dashboard counts events per minute of arrival (received_at), which is neither in the sort key nor the
-- partition key; a minmax skip index lets the last hour's count skip the granules that arrived earlier.
-- Parts written before this migration are indexed as merges rewrite them.
ALTER TABLE {{database}}.events ADD INDEX IF NOT EXISTS received_at_minmax received_at TYPE minmax GRANULARITY 1;
