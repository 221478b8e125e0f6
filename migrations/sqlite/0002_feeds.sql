-- Pharmacy stock feeds (SQLite flavour; keep in step with ../postgres/0002_feeds.sql).

-- One row per push: who, when, how it went, and the report the publisher can fetch
-- again at GET /api/v1/feeds/{id}.
CREATE TABLE feed_pushes (
    id INTEGER PRIMARY KEY,
    publisher_id INTEGER NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    received_at INTEGER NOT NULL, mode TEXT NOT NULL, format TEXT NOT NULL,
    status TEXT NOT NULL, rows_read INTEGER NOT NULL, rows_accepted INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL, facilities INTEGER NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX feed_pushes_publisher ON feed_pushes (publisher_id, received_at);

-- A retried push with the same Idempotency-Key returns the first push's report.
-- Written in the apply transaction, so a key exists only if its push committed.
CREATE TABLE feed_idempotency (
    publisher_id INTEGER NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    key TEXT NOT NULL, push_id INTEGER NOT NULL REFERENCES feed_pushes(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (publisher_id, key)
);

-- The publisher's own codes for its branches (Tabletki branch, Morion pharmacy id),
-- so a feed can name a facility the way the chain's export does.
CREATE TABLE publisher_branches (
    publisher_id INTEGER NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    facility_id INTEGER NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,
    PRIMARY KEY (publisher_id, code)
);

-- Per-publisher settings beside publishers.default_currency.
CREATE TABLE publisher_settings (
    publisher_id INTEGER PRIMARY KEY REFERENCES publishers(id) ON DELETE CASCADE,
    timezone TEXT NOT NULL DEFAULT 'Europe/Kyiv',
    max_age_days INTEGER NOT NULL DEFAULT 30
);

-- The reserve / online price beside the shelf price.
ALTER TABLE stock ADD COLUMN price_reserve_minor INTEGER;
CREATE INDEX stock_publisher ON stock (publisher_id, facility_id);
