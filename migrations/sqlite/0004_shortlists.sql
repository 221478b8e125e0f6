-- Short lists a social worker hands to a client (SQLite flavour; keep in step with
-- ../postgres/0004_shortlists.sql). No client data: an unguessable id, the chosen
-- service UUIDs and an expiry, nothing else.
CREATE TABLE shortlists (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    services TEXT NOT NULL
);
CREATE INDEX shortlists_expiry ON shortlists (expires_at);
