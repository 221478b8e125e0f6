-- The change log (SQLite flavour; keep in step with ../postgres/0012_change_log.sql):
-- the same rows as on PostgreSQL so the write paths keep one SQL text and an
-- outside follower (a search mirror) can read "what changed after N" on either
-- backend. SQLite has one writer at a time, so AUTOINCREMENT already grows in
-- commit order; there is no NOTIFY (a SQLite medmap is one process).
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX change_log_created ON change_log (created_at);
