-- Pull feeds (PostgreSQL flavour; keep in step with ../sqlite/0011_feed_pulls.sql): URLs
-- a publisher registers for medmap to fetch on schedule and apply like a push. The
-- row is also the pull's state: the validators of the last file read (ETag,
-- Last-Modified, its SHA-256), the last outcome and error, and the failures in a
-- row that the back-off counts. `lease_until` marks a fetch under way, so two
-- replicas on one database never fetch the same pull at once.
CREATE TABLE feed_pulls (
    id BIGSERIAL PRIMARY KEY,
    key_id BIGINT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    publisher_id BIGINT NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    every_secs BIGINT NOT NULL,
    mode TEXT,
    created_at BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    lease_until BIGINT,
    etag TEXT,
    last_modified TEXT,
    content_sha256 TEXT,
    last_attempt_at BIGINT,
    last_success_at BIGINT,
    last_status TEXT,
    last_error TEXT,
    failures BIGINT NOT NULL DEFAULT 0,
    last_push_id BIGINT REFERENCES feed_pushes(id) ON DELETE SET NULL,
    UNIQUE (publisher_id, url)
);
CREATE INDEX feed_pulls_due ON feed_pulls (next_at);
