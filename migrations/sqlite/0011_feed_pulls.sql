-- Pull feeds (SQLite flavour; keep in step with ../postgres/0011_feed_pulls.sql): URLs
-- a publisher registers for medmap to fetch on schedule and apply like a push. The
-- row is also the pull's state: the validators of the last file read (ETag,
-- Last-Modified, its SHA-256), the last outcome and error, and the failures in a
-- row that the back-off counts. `lease_until` marks a fetch under way, so two
-- replicas on one database never fetch the same pull at once.
CREATE TABLE feed_pulls (
    id INTEGER PRIMARY KEY,
    key_id INTEGER NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    publisher_id INTEGER NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    every_secs INTEGER NOT NULL,
    mode TEXT,
    created_at INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    lease_until INTEGER,
    etag TEXT,
    last_modified TEXT,
    content_sha256 TEXT,
    last_attempt_at INTEGER,
    last_success_at INTEGER,
    last_status TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    last_push_id INTEGER REFERENCES feed_pushes(id) ON DELETE SET NULL,
    UNIQUE (publisher_id, url)
);
CREATE INDEX feed_pulls_due ON feed_pulls (next_at);
