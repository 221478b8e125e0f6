-- Special times (SQLite flavour; keep in step with ../postgres/0010_special_hours.sql):
-- duty shifts and closures laid over a facility's regular hours, as absolute
-- instants (unix seconds, [starts_at, ends_at)). `source` is who wrote them
-- (`publisher:<id>` for a feed key's push, `import:<name>` for a city's rota), and a
-- new rota from that source replaces its rows, so each source's rows are its
-- latest rota and nothing else.
CREATE TABLE special_hours (
    id INTEGER PRIMARY KEY,
    facility_id INTEGER NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    is_open INTEGER NOT NULL,
    note TEXT,
    received_at INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX special_hours_source ON special_hours (source, facility_id);
CREATE INDEX special_hours_facility ON special_hours (facility_id, starts_at);
