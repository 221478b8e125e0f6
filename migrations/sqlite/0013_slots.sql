-- Appointment slots (SQLite flavour; keep in step with ../postgres/0013_slots.sql):
-- SMART Scheduling Links publications a publisher registers (its `$bulk-publish`
-- manifest URL), and what the last polls read from them. The publication row is also
-- the poll's state, as for pull feeds: validators of the manifest, the manifest's
-- `transactionTime` (the next incremental poll's `_since`), its `Cache-Control:
-- max-age`, failures for the back-off, the lease, and the last poll's per-row report
-- (JSON) for the publisher to read.
--
-- Locations, schedules and slots are kept per publication under the publisher's own
-- resource ids, so one publication's input can never touch another's rows. A
-- location's match (`facility_id`, how it was matched) is decided at ingest and
-- copied onto its slots with the position, so "earliest free slot near a point"
-- reads one table. Past slots are filtered by `end_at` and deleted by the poller.
CREATE TABLE slot_publications (
    id INTEGER PRIMARY KEY,
    key_id INTEGER NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    publisher_id INTEGER NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    every_secs INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    lease_until INTEGER,
    etag TEXT,
    last_modified TEXT,
    transaction_time TEXT,
    max_age_secs INTEGER,
    last_attempt_at INTEGER,
    last_success_at INTEGER,
    last_full_at INTEGER,
    last_status TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    last_report TEXT,
    UNIQUE (publisher_id, url)
);
CREATE INDEX slot_publications_due ON slot_publications (next_at);

CREATE TABLE slot_locations (
    publication_id INTEGER NOT NULL REFERENCES slot_publications(id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL,
    name TEXT NOT NULL,
    lat REAL,
    lon REAL,
    identifiers TEXT NOT NULL DEFAULT '[]',
    phone TEXT,
    url TEXT,
    facility_id INTEGER REFERENCES facilities(id) ON DELETE SET NULL,
    matched_by TEXT,
    confirmed_at INTEGER NOT NULL,
    PRIMARY KEY (publication_id, resource_id)
);
CREATE INDEX slot_locations_facility ON slot_locations (facility_id);

CREATE TABLE slot_schedules (
    publication_id INTEGER NOT NULL REFERENCES slot_publications(id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    service_type TEXT,
    service_label TEXT,
    wait_days INTEGER,
    confirmed_at INTEGER NOT NULL,
    PRIMARY KEY (publication_id, resource_id)
);

CREATE TABLE slots (
    publication_id INTEGER NOT NULL REFERENCES slot_publications(id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL,
    schedule_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    facility_id INTEGER REFERENCES facilities(id) ON DELETE SET NULL,
    lat REAL,
    lon REAL,
    start_at INTEGER NOT NULL,
    end_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    capacity INTEGER NOT NULL DEFAULT 1,
    service_type TEXT,
    service_label TEXT,
    booking_url TEXT,
    booking_phone TEXT,
    confirmed_at INTEGER NOT NULL,
    PRIMARY KEY (publication_id, resource_id),
    CHECK (end_at > start_at)
);
CREATE INDEX slots_free_start ON slots (status, start_at);
CREATE INDEX slots_facility_start ON slots (facility_id, start_at);
CREATE INDEX slots_end ON slots (end_at);
