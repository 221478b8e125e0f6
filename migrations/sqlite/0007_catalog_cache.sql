-- The built medication catalog (name index, product groups) persisted so a restart
-- reads it back instead of rebuilding it. One row per code fingerprint (`format`);
-- `version` is the meta `catalog_version` the catalog was built from, bumped by
-- every catalog write, so a stale row is never read.
CREATE TABLE catalog_cache (
    format TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    built_at INTEGER NOT NULL,
    bytes BLOB NOT NULL
);
