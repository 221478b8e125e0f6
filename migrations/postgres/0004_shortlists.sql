-- Short lists a social worker hands to a client (PostgreSQL flavour; keep in step with
-- ../sqlite/0004_shortlists.sql). No client data: an unguessable id, the chosen
-- service UUIDs and an expiry, nothing else.
CREATE TABLE shortlists (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    services TEXT NOT NULL
);
CREATE INDEX shortlists_expiry ON shortlists (expires_at);
