-- Customer search (GET /v1/customers/search, metadata filters on GET /v1/customers): plain
-- indexed tables, no FTS5 virtual table, so `wrangler d1 export` keeps working. Every row is
-- written and erased in the same atomic batch as the customer change it reflects
-- (src/customer-search/), and names its customer by `customers.seq`.

-- One row per word of a live customer's name, first_name, last_name, display_name, company,
-- username, email and alternative_id (`field` 0–7, `position` its place in the field), as
-- normalized by src/customer-search/search-text.ts (lowercase, no diacritics, runs of letters
-- and digits). The phone is one row (`field` 8, `position` 0): '#' and its digits reversed, so
-- "the digits end with 5309" is the prefix '#9035'; no word starts with '#'.
-- The primary key finds a customer's words (erasure, phrase checks); the index by word makes a
-- term prefix one range of it (`word >= ?prefix AND word < ?prefix || U+10FFFF`), and, as the
-- table has no rowid, each entry of it carries the whole primary key.
CREATE TABLE customer_search_words (
  org_id TEXT NOT NULL,
  customer_seq INTEGER NOT NULL,
  field INTEGER NOT NULL,
  position INTEGER NOT NULL,
  word TEXT NOT NULL,
  PRIMARY KEY (org_id, customer_seq, field, position)
) STRICT, WITHOUT ROWID;

CREATE INDEX customer_search_words_by_word ON customer_search_words (org_id, word);

-- One row per metadata key of a live customer, with the value's string form ('3', 'true',
-- 'gold'). A filter is one range of the primary key, already in customer_seq order (newest
-- first is that range backwards); the second index finds a customer's rows to erase them.
CREATE TABLE customer_search_metadata (
  org_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  customer_seq INTEGER NOT NULL,
  PRIMARY KEY (org_id, key, value, customer_seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX customer_search_metadata_by_customer ON customer_search_metadata (org_id, customer_seq);

-- Customers that existed before this migration: normalization needs Unicode case folding and
-- diacritic removal, which SQL does not have, so the scheduled handler indexes them in the
-- Worker, in batches of customers by seq (src/customer-search/backfill.ts). This row is its
-- progress: the last seq it indexed, and when it finished (then it does nothing).
CREATE TABLE customer_search_backfill (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  after_seq INTEGER NOT NULL,
  finished_at TEXT
) STRICT;

INSERT INTO customer_search_backfill (id, after_seq, finished_at)
  SELECT 1, 0, CASE WHEN EXISTS (SELECT 1 FROM customers) THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END;
