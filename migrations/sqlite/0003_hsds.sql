-- HSDS 3.0 fields the directory keeps so an import -> export -> import round-trips
-- (SQLite flavour; keep in step with ../postgres/0003_hsds.sql).
ALTER TABLE facilities ADD COLUMN region TEXT;
ALTER TABLE organizations ADD COLUMN alternate_name TEXT;
ALTER TABLE services ADD COLUMN alternate_name TEXT;
ALTER TABLE services ADD COLUMN last_modified TEXT;
-- JSON arrays: service phones and cost options are only ever read with their service.
ALTER TABLE services ADD COLUMN phones TEXT NOT NULL DEFAULT '[]';
ALTER TABLE services ADD COLUMN cost_options TEXT NOT NULL DEFAULT '[]';
ALTER TABLE taxonomy_terms ADD COLUMN description TEXT;
ALTER TABLE taxonomy_terms ADD COLUMN taxonomy_id TEXT;
ALTER TABLE taxonomy_terms ADD COLUMN language TEXT;
-- The id a source gave the service-at-location link (NULL: derived from the pair).
ALTER TABLE service_at_location ADD COLUMN uuid TEXT;
