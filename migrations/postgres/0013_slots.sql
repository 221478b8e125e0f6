-- Appointment slots (PostgreSQL flavour; keep in step with ../sqlite/0013_slots.sql):
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
    id BIGSERIAL PRIMARY KEY,
    key_id BIGINT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    publisher_id BIGINT NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    every_secs BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    lease_until BIGINT,
    etag TEXT,
    last_modified TEXT,
    transaction_time TEXT,
    max_age_secs BIGINT,
    last_attempt_at BIGINT,
    last_success_at BIGINT,
    last_full_at BIGINT,
    last_status TEXT,
    last_error TEXT,
    failures BIGINT NOT NULL DEFAULT 0,
    last_report TEXT,
    UNIQUE (publisher_id, url)
);
CREATE INDEX slot_publications_due ON slot_publications (next_at);

CREATE TABLE slot_locations (
    publication_id BIGINT NOT NULL REFERENCES slot_publications(id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL,
    name TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    identifiers TEXT NOT NULL DEFAULT '[]',
    phone TEXT,
    url TEXT,
    facility_id BIGINT REFERENCES facilities(id) ON DELETE SET NULL,
    matched_by TEXT,
    confirmed_at BIGINT NOT NULL,
    PRIMARY KEY (publication_id, resource_id)
);
CREATE INDEX slot_locations_facility ON slot_locations (facility_id);

CREATE TABLE slot_schedules (
    publication_id BIGINT NOT NULL REFERENCES slot_publications(id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    service_type TEXT,
    service_label TEXT,
    wait_days BIGINT,
    confirmed_at BIGINT NOT NULL,
    PRIMARY KEY (publication_id, resource_id)
);

CREATE TABLE slots (
    publication_id BIGINT NOT NULL REFERENCES slot_publications(id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL,
    schedule_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    facility_id BIGINT REFERENCES facilities(id) ON DELETE SET NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    capacity BIGINT NOT NULL DEFAULT 1,
    service_type TEXT,
    service_label TEXT,
    booking_url TEXT,
    booking_phone TEXT,
    confirmed_at BIGINT NOT NULL,
    PRIMARY KEY (publication_id, resource_id),
    CHECK (end_at > start_at)
);
CREATE INDEX slots_free_start ON slots (status, start_at);
CREATE INDEX slots_facility_start ON slots (facility_id, start_at);
CREATE INDEX slots_end ON slots (end_at);
