-- Deleting a customer finds their refused events by the identifiers each carried, normalised as the loader
-- normalises them (`type\x1fvalue`, kept when the event is refused), rather than by searching the payload
-- for the exact text: a numeric userId, a phone written with spaces or an email in capitals are found too.
-- Rows kept before this column existed have none and are still found by the payload search.
ALTER TABLE {{database}}.rejected_events ADD COLUMN IF NOT EXISTS identifiers Array(String) DEFAULT [] AFTER ip;

-- Which hash a suppressed identifier is kept as. Rows from before are 'sha1' (an unkeyed SHA-1 of
-- "type\x1fvalue", which anyone could recompute from a guessed email); the product converts them at start
-- to 'hmac-sha256' (HMAC keyed with the installation secret, over that SHA-1), which needs the secret and
-- so is done in Node (identity/suppression-migration.ts), not here. Every insert names its scheme.
ALTER TABLE {{database}}.suppressed_identifiers ADD COLUMN IF NOT EXISTS scheme LowCardinality(String) DEFAULT 'sha1';
